#!/usr/bin/env bash
# mlops diff (work tree vs HEAD, REV vs REV, inside folders, --json, --exit-code, --path) and
# mlops log (versions of a path across commits, newest first, --json, -n, deletion).
source "$(dirname "$0")/lib.sh"

new_repo difflog
git add .mlops && git commit -qm init
mkdir -p data/sub
echo 1 > data/a.csv
echo b > data/sub/b.csv
echo v1 > model.bin
mlops add -q --git-add data model.bin
git commit -qm "first version"
expect_code 0 "No changes in tracked data" -- mlops diff --exit-code

# Work tree vs HEAD: files inside folders are listed one by one.
echo 22 > data/a.csv
rm data/sub/b.csv
echo c > data/sub/c.csv
run mlops diff --exit-code
assert_eq "$RC" 1 "diff --exit-code with changes"
grep -qE '^modified +data/a\.csv +\(2 B -> 3 B\)$' <<<"$OUT" || fail "modified file not listed: $OUT"
grep -qE '^removed +data/sub/b\.csv ' <<<"$OUT" || fail "removed file not listed: $OUT"
grep -qE '^added +data/sub/c\.csv ' <<<"$OUT" || fail "added file not listed: $OUT"
grep -q 'model.bin' <<<"$OUT" && fail "unchanged model.bin listed: $OUT"
assert_eq "$(printf '%s\n' "$OUT" | wc -l)" 3 "lines of diff output"
ok "diff: work tree vs HEAD, inside folders"

# --json: added/removed/modified lists with oids and sizes.
j=$(mlops --json diff)
assert_eq "$(json_get 'sorted(j.keys())' <<<"$j")" '["added", "modified", "removed"]' "top-level keys"
assert_eq "$(json_get '[e["path"] for e in j["added"]]' <<<"$j")" '["data/sub/c.csv"]' "added"
assert_eq "$(json_get '[e["path"] for e in j["removed"]]' <<<"$j")" '["data/sub/b.csv"]' "removed"
assert_eq "$(json_get '[e["path"] for e in j["modified"]]' <<<"$j")" '["data/a.csv"]' "modified"
assert_eq "$(json_get 'sorted(j["modified"][0].keys())' <<<"$j")" \
    '["contents_unknown", "is_dir", "new_oid", "new_size", "old_oid", "old_size", "path"]' "entry keys"
assert_eq "$(json_get 'j["modified"][0]["new_oid"]' <<<"$j")" "$(sha256 data/a.csv)" "new_oid"
assert_eq "$(json_get '[j["modified"][0]["old_size"], j["modified"][0]["new_size"]]' <<<"$j")" '[2, 3]' "sizes"
assert_eq "$(json_get '[j["added"][0]["old_oid"], j["removed"][0]["new_oid"]]' <<<"$j")" '[null, null]' "null oids"
assert_eq "$(json_get 'j["added"][0]["is_dir"] or j["added"][0]["contents_unknown"]' <<<"$j")" false "is_dir"
ok "diff --json"

# A second commit; REV vs REV, and the work tree compared with an older REV.
mlops add -q --git-add data
echo v2 > model.bin
mlops add -q --git-add model.bin
echo new > extra.csv
mlops add -q --git-add extra.csv
git commit -qm "second version"
expect_code 0 "No changes" -- mlops diff --exit-code
run mlops diff HEAD~1 HEAD
grep -qE '^modified +data/a\.csv ' <<<"$OUT" || fail "REV REV: data/a.csv: $OUT"
grep -qE '^modified +model\.bin ' <<<"$OUT" || fail "REV REV: model.bin: $OUT"
grep -qE '^added +extra\.csv ' <<<"$OUT" || fail "REV REV: extra.csv: $OUT"
j=$(mlops --json diff HEAD HEAD~1)
assert_eq "$(json_get '[e["path"] for e in j["removed"]]' <<<"$j")" '["data/sub/c.csv", "extra.csv"]' "reverse diff removed"
assert_eq "$(json_get '[e["path"] for e in j["added"]]' <<<"$j")" '["data/sub/b.csv"]' "reverse diff added"
assert_eq "$(mlops --json diff HEAD~1 | json_get 'sorted(e["path"] for k in j for e in j[k])')" \
    "$(mlops --json diff HEAD~1 HEAD | json_get 'sorted(e["path"] for k in j for e in j[k])')" "work tree equals HEAD"
assert_eq "$(mlops --json diff --path model.bin HEAD~1 HEAD | json_get '[e["path"] for k in j for e in j[k]]')" \
    '["model.bin"]' "--path restricts the diff"
expect_code 2 "unknown revision 'nosuchrev'" -- mlops diff nosuchrev
ok "diff REV REV"

# A folder whose old tree object is not in the store: the folder itself is the entry.
old_tree=$(git show HEAD~1:data.mlops | sed -n 's/^oid: //p')
mlops gc -q --worktree-only
[ -e "$(object_path "$old_tree")" ] && fail "test setup: gc --worktree-only kept the old tree"
j=$(mlops --json diff HEAD~1 HEAD)
assert_eq "$(json_get '[(e["path"], e["is_dir"], e["contents_unknown"]) for e in j["modified"] if e["is_dir"]]' <<<"$j")" \
    '[["data", true, true]]' "a folder with an unknown old tree"
assert_eq "$(json_get '[e["old_oid"] for e in j["modified"] if e["is_dir"]]' <<<"$j")" "[\"$old_tree\"]" "its old oid"
expect_code 0 "^modified +data/ " -- mlops diff HEAD~1 HEAD
ok "diff of a folder whose old contents are not local"

# log: three versions of model.bin, newest first; the deletion is an entry too.
echo v3 > model.bin
mlops add -q --git-add model.bin
git commit -qm "third version"
v3=$(oid_of model.bin.mlops)
run mlops log model.bin
printf '%s\n' "$OUT" | grep -E '^    file ' | awk '{print $NF}' > "$E2E_TMP/summaries"
assert_eq "$(tr '\n' ' ' < "$E2E_TMP/summaries")" "version version version " "log summaries"
j=$(mlops --json log model.bin)
assert_eq "$(json_get 'j["path"]' <<<"$j")" model.bin "log path"
assert_eq "$(json_get '[v["summary"] for v in j["versions"]]' <<<"$j")" \
    '["third version", "second version", "first version"]' "versions newest first"
assert_eq "$(json_get 'j["versions"][0]["oid"]' <<<"$j")" "$v3" "newest oid"
assert_eq "$(json_get 'j["versions"][0]["commit"]' <<<"$j")" "$(git rev-parse HEAD)" "newest commit"
assert_eq "$(json_get 'sorted(j["versions"][0].keys())' <<<"$j")" \
    '["author", "commit", "date", "deleted", "files", "kind", "oid", "size", "summary", "time"]' "version keys"
assert_eq "$(json_get '[j["versions"][0]["kind"], j["versions"][0]["size"], j["versions"][0]["deleted"]]' <<<"$j")" \
    '["file", 3, false]' "newest version fields"
assert_eq "$(json_get 'j["versions"][0]["author"]' <<<"$j")" "Test User <test@example.com>" "author"
assert_eq "$(mlops --json log -n 1 model.bin | json_get 'len(j["versions"])')" 1 "log -n 1"
assert_eq "$(mlops --json log model.bin.mlops | json_get 'len(j["versions"])')" 3 "log of the pointer file name"
assert_eq "$(mlops --json log data | json_get '[(v["kind"], v["files"]) for v in j["versions"]]')" \
    '[["dir", 2], ["dir", 2]]' "log of a folder"
git rm -q model.bin.mlops
git commit -qm "drop the model"
j=$(mlops --json log model.bin)
assert_eq "$(json_get '[v["deleted"] for v in j["versions"]]' <<<"$j")" '[true, false, false, false]' "deletion in log"
assert_eq "$(json_get '"oid" in j["versions"][0]' <<<"$j")" false "a deletion has no oid"
expect_code 0 "no committed versions" -- mlops log nothing-here
ok "log"
finish
