#!/usr/bin/env bash
# The stat cache's tree oid: when every file of a folder is trusted from the stat cache and no other
# file is there, status takes the folder's oid from the cache instead of rebuilding and hashing the
# tree. Every kind of change must still be seen: content (same size, old mtime), a file added,
# removed or renamed, a mode change, a file replaced by a symlink, and a pointer that names another
# tree while the work tree is as last scanned.
source "$(dirname "$0")/lib.sh"

new_repo status-cache
mkdir -p data/sub
echo aaaa > data/a.csv
echo bbbb > data/b.csv
echo cccc > data/sub/c.csv
mlops add -q data

# The recorded tree oid of a tracked path ("" when none), read from the index.
recorded_tree() {
    python3 - "$1" <<'PY'
import sqlite3, sys
db = sqlite3.connect(".mlops/index.db")
row = db.execute("SELECT data FROM stat_cache WHERE path = ?", (sys.argv[1],)).fetchone()
blob = row[0] if row else b""
tree = blob[8:72].decode() if blob[:4] == b"msc2" else ""
print("" if tree == "0" * 64 else tree)
PY
}

# Files old enough to be trusted, hashed once more, then served from the cache with its tree oid.
warm() {
    find data -type f -exec touch -d '1 hour ago' {} +
    expect_code 0 "up to date" -- mlops status --exit-code
    assert_eq "$(recorded_tree data)" "$(oid_of data.mlops)" "tree oid recorded with the stat cache"
    expect_code 0 "up to date" -- mlops status --exit-code
}

warm
ok "an unchanged folder is up to date from the recorded tree oid"

# Same size, same mtime, other content: the ctime moved.
stamp=$(stat -c %y data/a.csv)
echo AAAA > data/a.csv
touch -d "$stamp" data/a.csv
run mlops status --exit-code
assert_eq "$RC" 1 "a same-size rewrite with the old mtime"
grep -qE '^\s+modified:\s+data/a\.csv$' <<<"$OUT" || fail "modified file not listed: $OUT"
echo aaaa > data/a.csv
warm
ok "content changed behind the same size and mtime"

echo new > data/sub/new.csv
run mlops status --exit-code
assert_eq "$RC" 1 "a file added"
grep -qE '^\s+added:\s+data/sub/new\.csv$' <<<"$OUT" || fail "added file not listed: $OUT"
rm data/sub/new.csv
warm
ok "a file added"

mv data/b.csv "$E2E_TMP/b.keep"
run mlops status --exit-code
assert_eq "$RC" 1 "a file removed"
grep -qE '^\s+removed:\s+data/b\.csv$' <<<"$OUT" || fail "removed file not listed: $OUT"
mv "$E2E_TMP/b.keep" data/b.csv
warm
ok "a file removed"

mv data/b.csv data/b2.csv
run mlops status --exit-code
assert_eq "$RC" 1 "a file renamed"
grep -qE '^\s+removed:\s+data/b\.csv$' <<<"$OUT" || fail "old name not listed: $OUT"
grep -qE '^\s+added:\s+data/b2\.csv$' <<<"$OUT" || fail "new name not listed: $OUT"
mv data/b2.csv data/b.csv
warm
ok "a file renamed"

chmod +x data/sub/c.csv
run mlops status --exit-code
assert_eq "$RC" 1 "a mode change"
grep -qE '^\s+modified:\s+data/sub/c\.csv$' <<<"$OUT" || fail "mode change not listed: $OUT"
chmod -x data/sub/c.csv
warm
ok "a mode change"

mv data/a.csv "$E2E_TMP/a.keep"
ln -s b.csv data/a.csv
run mlops status --exit-code
assert_eq "$RC" 1 "a file replaced by a symlink"
grep -qE '^\s+modified:\s+data/a\.csv$' <<<"$OUT" || fail "symlink not listed: $OUT"
rm data/a.csv
mv "$E2E_TMP/a.keep" data/a.csv
warm
ok "a file replaced by a symlink"

# The pointer names another tree (git checkout of an older pointer) while the work tree is exactly
# as the stat cache knows it: the changes are still listed.
git add data.mlops .gitignore && git commit -qm v1
echo AAAA > data/a.csv
mlops add -q data
warm
git checkout -q data.mlops
run mlops status --exit-code
assert_eq "$RC" 1 "the pointer names the older tree"
grep -qE '^\s+modified:\s+data/a\.csv$' <<<"$OUT" || fail "changed file not listed against the older pointer: $OUT"
ok "a pointer naming another tree while the work tree is unchanged"
finish
