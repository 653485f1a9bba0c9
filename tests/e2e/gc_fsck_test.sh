#!/usr/bin/env bash
# mlops gc (unreferenced objects go; what any branch or tag refers to stays; --dry-run;
# --worktree-only) and mlops fsck (corrupt and missing objects, checkout never writes a corrupt
# object, --rebuild-index).
source "$(dirname "$0")/lib.sh"

new_repo gcfsck
git add .mlops && git commit -qm init
mkdir data
echo 1 > data/a.csv
echo keep > data/k.csv
echo v1 > model.bin
mlops add -q --git-add data model.bin
git commit -qm v1
expect_code 0 "checked 4 objects: 0 corrupt, 0 missing" -- mlops fsck
expect_code 0 "removed 0 objects" -- mlops gc
ok "fsck and gc of a clean repository"

# A version on a branch and one on a tag, then the work tree moves on.
git checkout -q -b experiment
echo experiment > model.bin
mlops add -q --git-add model.bin
git commit -qm experiment
exp_oid=$(oid_of model.bin.mlops)
git checkout -q main
mlops checkout -q
echo tagged > data/a.csv
mlops add -q --git-add data
git commit -qm tagged
git tag release
tag_tree=$(oid_of data.mlops)
tag_a=$(sha256 data/a.csv)
git reset -q --hard HEAD~1
mlops checkout -q --force
# Versions only ever added, never committed: unreferenced.
echo draft1 > model.bin && mlops add -q model.bin
draft1=$(oid_of model.bin.mlops)
echo draft2 > model.bin && mlops add -q model.bin
draft2=$(oid_of model.bin.mlops)
git checkout -q -- model.bin.mlops
mlops checkout -q --force model.bin
before=$(count_objects)

j=$(mlops --json gc --dry-run)
assert_eq "$(json_get '[j["dry_run"], j["removed"]]' <<<"$j")" '[true, 2]' "gc --dry-run"
assert_eq "$(count_objects)" "$before" "objects after --dry-run"
expect_code 0 "would remove 2 objects" -- mlops gc -n
assert_eq "$(count_objects)" "$before" "objects after -n"
ok "gc --dry-run removes nothing"

j=$(mlops --json gc)
assert_eq "$(json_get '[j["dry_run"], j["removed"], j["kept"]]' <<<"$j")" "[false, 2, $((before - 2))]" "gc"
[ -e "$(object_path "$draft1")" ] && fail "draft1 survived gc"
[ -e "$(object_path "$draft2")" ] && fail "draft2 survived gc"
for o in "$exp_oid" "$tag_tree" "$tag_a"; do
    [ -e "$(object_path "$o")" ] || fail "gc removed $o, which a branch or tag refers to"
done
expect_code 0 "0 corrupt, 0 missing" -- mlops fsck
ok "gc removes unreferenced objects, keeps what branches and tags refer to"

git checkout -q experiment
expect_code 0 "model.bin: 1 file written" -- mlops checkout
assert_eq "$(cat model.bin)" experiment "model.bin on the experiment branch"
git checkout -q release
mlops checkout -q
assert_eq "$(cat data/a.csv)" tagged "data/a.csv at the tag"
git checkout -q main
mlops checkout -q
ok "checkout of a branch and a tag after gc"

# --worktree-only drops what only history refers to.
j=$(mlops --json gc --worktree-only)
assert_eq "$(json_get 'j["removed"] > 0' <<<"$j")" true "gc --worktree-only removed old versions"
[ -e "$(object_path "$exp_oid")" ] && fail "--worktree-only kept the experiment version"
expect_code 0 "0 corrupt, 0 missing" -- mlops fsck
expect_code 0 "up to date" -- mlops status --exit-code
git checkout -q experiment
expect_code 3 "model\.bin: object missing from the store" -- mlops checkout
git checkout -q main
ok "gc --worktree-only"

# A staged (not committed) pointer is a root too.
echo staged > model.bin
mlops add -q --git-add model.bin
staged=$(oid_of model.bin.mlops)
git show HEAD:model.bin.mlops > model.bin.mlops # only the git index still names $staged
grep -q "$staged" <<<"$(git show :model.bin.mlops)" || fail "test setup: the staged pointer is not in the git index"
mlops gc -q
[ -e "$(object_path "$staged")" ] || fail "gc removed an object that the git index refers to"
git reset -q --hard
mlops checkout -q --force
ok "gc keeps what the git index refers to"

# fsck: a corrupt object is named, exit 3.
oid=$(oid_of model.bin.mlops)
obj=$(object_path "$oid")
chmod u+w "$obj"
echo "bit rot" > "$obj"
run mlops fsck
assert_eq "$RC" 3 "fsck exit code with a corrupt object"
grep -qx "corrupt object $oid" <<<"$ERR" || fail "fsck does not name the corrupt object: $ERR"
assert_eq "$(mlops --json fsck | json_get '[j["ok"], j["corrupt"]]')" "[false, [\"$oid\"]]" "fsck --json"
ok "fsck reports a corrupt object"

# checkout of a path whose object is corrupt: exit 3, the corrupt bytes never reach the work tree.
rm model.bin
expect_code 3 "object $oid is corrupt" -- mlops checkout model.bin
[ -e model.bin ] && fail "checkout wrote model.bin from a corrupt object"
[ -z "$(find . -path ./.git -prune -o -name '.tmp-*' -print)" ] || fail "checkout left temporary files"
echo "local edit" > model.bin
expect_code 3 "is corrupt" -- mlops checkout --force model.bin
assert_eq "$(cat model.bin)" "local edit" "model.bin after a refused checkout"
for strategy in hardlink symlink reflink,copy; do
    mlops config cache.type "$strategy"
    rm -f model.bin
    expect_code 3 "is corrupt" -- mlops checkout model.bin
    [ -e model.bin ] || [ -L model.bin ] && fail "checkout ($strategy) created model.bin from a corrupt object"
done
mlops config cache.type copy
ok "checkout never writes a corrupt object"

# A corrupt object inside a folder: checkout of the folder refuses it too.
a_oid=$(sha256 data/a.csv)
chmod u+w "$(object_path "$a_oid")"
printf 'X\n' > "$(object_path "$a_oid")"
rm -rf data
expect_code 3 "is corrupt" -- mlops checkout data
[ -e data/a.csv ] && [ "$(cat data/a.csv)" = X ] && fail "checkout wrote the corrupt data/a.csv"
ok "checkout of a folder with a corrupt object"

# A corrupt tree object: gc cannot tell what it protects, so it stops and removes nothing.
echo unreferenced > spare.bin && mlops add -q spare.bin && rm spare.bin.mlops
tree_oid=$(oid_of data.mlops)
cp "$(object_path "$tree_oid")" "$E2E_TMP/tree.keep"
chmod u+w "$(object_path "$tree_oid")"
echo "not a tree" > "$(object_path "$tree_oid")"
n=$(count_objects)
expect_code 3 "data\.mlops: object $tree_oid is corrupt.*gc .* stops" -- mlops gc
assert_eq "$(count_objects)" "$n" "objects after gc refused"
cp "$E2E_TMP/tree.keep" "$(object_path "$tree_oid")"
expect_code 0 "removed [1-9][0-9]* object" -- mlops gc
[ -e "$(object_path "$(echo unreferenced | sha256sum | cut -d' ' -f1)")" ] && fail "gc kept spare.bin's object"
ok "gc stops at a corrupt tree object"

# Repair by re-adding the right content; then delete an object: reported missing, exit 3.
echo v1 > model.bin
chmod u+w "$(object_path "$oid")"
rm -f "$(object_path "$oid")"
mlops add -q model.bin
echo 1 > "$E2E_TMP/a.csv"
chmod u+w "$(object_path "$a_oid")"
cp "$E2E_TMP/a.csv" "$(object_path "$a_oid")"
mlops checkout -q --force
expect_code 0 "0 corrupt, 0 missing" -- mlops fsck
k_oid=$(sha256 data/k.csv)
rm -f "$(object_path "$k_oid")"
run mlops fsck
assert_eq "$RC" 3 "fsck exit code with a missing object"
grep -qx "missing object data/k.csv: $k_oid" <<<"$ERR" || fail "fsck does not name the missing object: $ERR"
assert_eq "$(mlops --json fsck | json_get 'j["missing"]')" "[\"data/k.csv: $k_oid\"]" "fsck --json missing"
rm -rf data
expect_code 3 "data/k\.csv: object missing" -- mlops checkout data
echo keep > "$E2E_TMP/k.csv"
mkdir data && echo 1 > data/a.csv && cp "$E2E_TMP/k.csv" data/k.csv
mlops add -q data
expect_code 0 "0 corrupt, 0 missing" -- mlops fsck
ok "fsck reports a missing object"

# The index is a cache: deleted or garbage, it is rebuilt and status still works.
rm -f .mlops/index.db .mlops/index.db-wal .mlops/index.db-shm
expect_code 0 "rebuilt the index" -- mlops fsck --rebuild-index
expect_code 0 "up to date" -- mlops status --exit-code
head -c 4096 /dev/urandom > .mlops/index.db
rm -f .mlops/index.db-wal .mlops/index.db-shm
expect_code 0 "rebuilt the index" -- mlops fsck --rebuild-index
expect_code 0 "up to date" -- mlops status --exit-code
printf 'this is not a database, just text\n%.0s' {1..100} > .mlops/index.db
rm -f .mlops/index.db-wal .mlops/index.db-shm
expect_code 0 "up to date" -- mlops status --exit-code
echo changed > model.bin
expect_code 1 "model\.bin: modified" -- mlops status --exit-code
assert_eq "$(mlops --json fsck --rebuild-index | json_get '[j["ok"], j["index_rebuilt"]]')" '[true, true]' "fsck --json --rebuild-index"
ok "fsck --rebuild-index after the index is deleted or damaged"

# gc removes leftover temporary files; fsck reports them.
echo junk > .mlops/tmp/.tmp-99999-0000000000000000
assert_eq "$(mlops --json fsck | json_get 'len(j["temp_files"])')" 1 "fsck temp_files"
assert_eq "$(mlops --json gc | json_get 'j["temp_files_removed"]')" 1 "gc temp_files_removed"
[ -e .mlops/tmp/.tmp-99999-0000000000000000 ] && fail "gc left the temporary file"
ok "gc removes temporary files"
finish
