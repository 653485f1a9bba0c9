#!/usr/bin/env bash
# mlops add: files and folders, pointer files, .gitignore, --git-add, --json, the stat cache, paths
# given from a subfolder and with -C.
source "$(dirname "$0")/lib.sh"

new_repo add
mkdir -p data/a/b/c
printf 'same\n' > data/a/x.csv
printf 'same\n' > data/a/b/y.csv
printf 'other\n' > data/a/b/c/z.csv
printf '#!/bin/sh\necho hi\n' > data/run.sh
chmod +x data/run.sh
printf 'same\n' > model.bin
expect_code 0 "added data \(folder, 4 files" -- mlops add data model.bin
ok "add a nested folder and a file"

# Pointer files: every field, with the right values.
[ -f data.mlops ] && [ -f model.bin.mlops ] || fail "pointer files missing"
grep -qx 'version: 1' data.mlops || fail "data.mlops: no version"
grep -qx 'kind: dir' data.mlops || fail "data.mlops: kind is not dir"
grep -qx 'files: 4' data.mlops || fail "data.mlops: files is not 4"
size=$(($(stat -c %s data/a/x.csv) + $(stat -c %s data/a/b/y.csv) + $(stat -c %s data/a/b/c/z.csv) + $(stat -c %s data/run.sh)))
grep -qx "size: $size" data.mlops || fail "data.mlops: size is not $size: $(cat data.mlops)"
grep -qE '^oid: [0-9a-f]{64}$' data.mlops || fail "data.mlops: bad oid line"
grep -qx 'kind: file' model.bin.mlops || fail "model.bin.mlops: kind is not file"
grep -qx 'size: 5' model.bin.mlops || fail "model.bin.mlops: size is not 5"
grep -qx 'files: 1' model.bin.mlops || fail "model.bin.mlops: files is not 1"
assert_eq "$(oid_of model.bin.mlops)" "$(sha256 model.bin)" "a file's oid is the SHA-256 of its content"
assert_eq "$(grep -vc '^#' data.mlops)" 5 "pointer fields"
ok "pointer file fields"

# Identical content is stored once: "same" (3 copies), "other", run.sh, and the folder's tree.
assert_eq "$(count_objects)" 4 "objects in the store"
for o in $(find .mlops/objects -mindepth 2 -type f); do
    name=$(basename "$(dirname "$o")")$(basename "$o")
    assert_eq "$(sha256 "$o")" "$name" "object $o is named by its content"
done
ok "identical content is stored once"

# The tree records the executable bit, and checkout restores it.
tree=$(object_path "$(oid_of data.mlops)")
grep -q ' 755 [0-9]*	run.sh$' "$tree" || fail "tree does not mark run.sh executable: $(cat "$tree")"
grep -q ' 644 [0-9]*	a/x.csv$' "$tree" || fail "tree does not list a/x.csv as a plain file: $(cat "$tree")"
rm -rf data
mlops checkout -q data
[ -x data/run.sh ] || fail "checkout lost the executable bit"
[ -x data/a/x.csv ] && fail "checkout made a plain file executable"
assert_eq "$(cat data/a/b/c/z.csv)" other "checked-out nested file"
ok "executable bit"

# .gitignore gets /name once, even when a path is added twice.
mlops add -q data
mlops add -q data model.bin
assert_eq "$(grep -cx '/data' .gitignore)" 1 "/data lines in .gitignore"
assert_eq "$(grep -cx '/model.bin' .gitignore)" 1 "/model.bin lines in .gitignore"
ok ".gitignore entry written once"

# Names with glob characters: .gitignore ignores exactly the data, nothing else, once.
for n in 'data[1]' 'model*' 'q?' 'back\slash' 'trailing ' 'my data' '#hash' '!bang'; do
    mkdir -p "$n" && echo x > "$n/f"
    mlops add -q "$n"
    mlops add -q "$n"
done
touch data1 model-other q1
untracked=$(git status --porcelain --untracked-files=all | grep -v -e '\.mlops' -e '\.gitignore' | LC_ALL=C sort | tr '\n' ' ')
assert_eq "$untracked" "?? data1 ?? model-other ?? q1 " "files git sees besides pointers (the data must be ignored)"
assert_eq "$(grep -c . .gitignore)" 10 "lines in .gitignore (each name once)"
rm -rf data1 model-other q1
ok ".gitignore entries for names with glob characters"

# The same path named twice is added once.
mkdir twice && echo t > twice/t.csv
run mlops add twice ./twice/ twice
assert_eq "$RC" 0 "add of the same path three times"
assert_eq "$(grep -c 'twice' <<<"$OUT")" 2 "lines naming twice (one result, one hint): $OUT"
ok "the same path named twice"

# Re-adding unchanged data: reported unchanged, nothing new stored.
objects=$(count_objects)
expect_code 0 "^unchanged data " -- mlops add data
mlops add --json data > out.json
assert_eq "$(json_get 'j["added"][0]["changed"]' < out.json)" false "json changed"
assert_eq "$(json_get 'j["added"][0]["new_objects"]' < out.json)" 0 "json new_objects"
assert_eq "$(count_objects)" "$objects" "objects after re-adding"
rm out.json
ok "re-adding unchanged data reports unchanged"

# --json: every documented field with the right value.
printf 'changed\n' > model.bin
mlops --json add model.bin > "$E2E_TMP/add.json"
j=$(cat "$E2E_TMP/add.json")
assert_eq "$(json_get 'sorted(j["added"][0].keys())' <<<"$j")" \
    '["changed", "files", "hashed_files", "kind", "new_objects", "oid", "path", "size"]' "json fields"
assert_eq "$(json_get 'j["added"][0]["path"]' <<<"$j")" model.bin "json path"
assert_eq "$(json_get 'j["added"][0]["kind"]' <<<"$j")" file "json kind"
assert_eq "$(json_get 'j["added"][0]["oid"]' <<<"$j")" "$(sha256 model.bin)" "json oid"
assert_eq "$(json_get 'j["added"][0]["size"]' <<<"$j")" 8 "json size"
assert_eq "$(json_get 'j["added"][0]["files"]' <<<"$j")" 1 "json files"
assert_eq "$(json_get 'j["added"][0]["changed"]' <<<"$j")" true "json changed"
assert_eq "$(json_get 'j["added"][0]["new_objects"]' <<<"$j")" 1 "json new_objects"
assert_eq "$(json_get 'j["added"][0]["hashed_files"]' <<<"$j")" 1 "json hashed_files"
assert_eq "$(oid_of model.bin.mlops)" "$(sha256 model.bin)" "pointer updated"
ok "--json output"

# The stat cache: files that are clearly older than their last hashing are not read again.
mkdir old
for i in 1 2 3; do echo "row $i" > "old/f$i"; done
touch -d '2 hours ago' old/f1 old/f2 old/f3
assert_eq "$(mlops --json add old | json_get 'j["added"][0]["hashed_files"]')" 3 "first add hashes every file"
assert_eq "$(mlops --json add old | json_get 'j["added"][0]["hashed_files"]')" 0 "second add reads nothing"
echo "row 2 changed" > old/f2
touch -d '1 hour ago' old/f2
assert_eq "$(mlops --json add old | json_get '[j["added"][0][k] for k in ("hashed_files", "changed", "new_objects")]')" \
    '[1, true, 2]' "add after one file changed"
ok "the stat cache avoids re-hashing unchanged files"

# --git-add stages the pointer file and .gitignore, never the data.
git add .mlops && git commit -qm init
mkdir staged && echo s > staged/s.csv
mlops add -q --git-add staged
staged=$(git diff --cached --name-only | sort | tr '\n' ' ')
assert_eq "$staged" ".gitignore staged.mlops " "staged files"
ok "--git-add stages the pointer file and .gitignore"

# From a subfolder, paths are relative to it; the pointer and .gitignore go next to the data.
mkdir -p sub/deep other
echo d > sub/deep/d.csv
echo o > other/o.csv
(
    cd sub
    expect_code 0 "added deep " -- mlops add deep
    # The hint is a command that works from here.
    hint=$(mlops add ../other/o.csv)
    grep -q '^added \.\./other/o\.csv ' <<<"$hint" || fail "add from sub does not show ../other/o.csv: $hint"
    cmd=$(printf '%s\n' "$hint" | sed -n 's/^\t\(git add .*\)/\1/p')
    assert_eq "$cmd" "git add ../other/o.csv.mlops ../other/.gitignore" "git add hint"
    $cmd || fail "the hint '$cmd' does not work from a subfolder"
    cmd=$(mlops add deep | sed -n 's/^\t\(git add .*\)/\1/p')
    assert_eq "$cmd" "git add deep.mlops .gitignore" "git add hint for data in the current folder"
)
[ -f sub/deep.mlops ] || fail "no sub/deep.mlops"
[ -f other/o.csv.mlops ] || fail "no other/o.csv.mlops"
grep -qx '/deep' sub/.gitignore || fail "sub/.gitignore lacks /deep"
grep -qx '/o.csv' other/.gitignore || fail "other/.gitignore lacks /o.csv"
grep -q 'deep' .gitignore && fail "the top .gitignore names sub/deep"
cmd=$(mlops add other/o.csv | sed -n 's/^\t\(git add .*\)/\1/p')
assert_eq "$cmd" "git add other/o.csv.mlops other/.gitignore" "git add hint from the root"
$cmd || fail "the hint '$cmd' does not work"
assert_eq "$(cd sub && mlops --json add deep | json_get 'j["added"][0]["path"]')" sub/deep "json path is repository-relative"
ok "add from a subfolder"

# -C DIR runs as if started in DIR.
mkdir -p elsewhere/x
echo c > elsewhere/x/c.csv
cd "$E2E_TMP"
expect_code 0 "added x " -- mlops -C add/elsewhere add x
cd add
[ -f elsewhere/x.mlops ] || fail "-C: no elsewhere/x.mlops"
grep -qx '/x' elsewhere/.gitignore || fail "-C: elsewhere/.gitignore lacks /x"
expect_code 0 "up to date" -- mlops status --exit-code
ok "-C DIR"

mlops fsck -q || fail "fsck after the add tests"
finish
