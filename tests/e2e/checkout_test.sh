#!/usr/bin/env bash
# mlops checkout: older versions after `git checkout`, protection of local changes, --force, the
# hardlink and symlink strategies, a folder replaced by a file and the reverse.
source "$(dirname "$0")/lib.sh"

# listing DIR: every file under DIR with its content, sorted.
listing() {
    find "$1" \( -type f -o -type l \) | LC_ALL=C sort | while IFS= read -r f; do echo "$f=$(cat "$f")"; done
}

new_repo checkout
git add .mlops && git commit -qm init
mkdir -p data/keep data/gone/deeper
echo 1 > data/a.csv
echo k > data/keep/k.csv
echo g > data/gone/deeper/g.csv
echo v1 > model.bin
mlops add -q --git-add data model.bin
git commit -qm v1
git tag v1
v1_data=$(listing data)

echo 2 > data/a.csv
rm -rf data/gone
mkdir -p data/new
echo n > data/new/n.csv
echo v2 > model.bin
mlops add -q --git-add data model.bin
git commit -qm v2
v2_data=$(listing data)

git checkout -q HEAD~1
expect_code 0 "data: 2 files written, 1 removed" -- mlops checkout
assert_eq "$(listing data)" "$v1_data" "data after checking out v1"
assert_eq "$(cat model.bin)" v1 "model.bin after checking out v1"
[ -d data/new ] && fail "data/new should be gone (its only file was removed)"
expect_code 0 "up to date" -- mlops status --exit-code
git checkout -q main
mlops checkout -q
assert_eq "$(listing data)" "$v2_data" "data after checking out v2"
assert_eq "$(cat model.bin)" v2 "model.bin after checking out v2"
[ -d data/gone ] && fail "data/gone should be gone"
expect_code 0 "already matches" -- mlops checkout
ok "git checkout of an older commit, then mlops checkout, restores the older data"

# --json output.
git checkout -q HEAD~1
j=$(mlops --json checkout model.bin)
assert_eq "$(json_get 'j["paths"]' <<<"$j")" '[{"path": "model.bin", "removed": 0, "unchanged": false, "written": 1}]' "checkout --json"
ok "checkout of one named path, --json"
git checkout -q main
mlops checkout -q

# Local changes that are not in the store are not overwritten; --force overwrites them.
echo "precious local edit" > model.bin
expect_rejected 2 "^mlops: error: model\.bin: local changes would be overwritten" -- mlops checkout
assert_eq "$(cat model.bin)" "precious local edit" "model.bin after the refused checkout"
echo "local" > data/keep/k.csv
echo "untracked" > data/extra.csv
git checkout -q HEAD~1
expect_rejected 2 "data/(keep/k|extra)\.csv: local changes would be overwritten .* and 1 more" -- mlops checkout data
assert_eq "$(cat data/keep/k.csv)" local "data/keep/k.csv after the refused checkout"
expect_code 0 "" -- mlops checkout --force
assert_eq "$(listing data)" "$v1_data" "data after checkout --force"
assert_eq "$(cat model.bin)" v1 "model.bin after checkout --force"
ok "local changes are protected; --force overwrites"

# A local change whose content is in the store (an older version) is not at risk: no refusal.
git checkout -q main
cp "$(object_path "$(git show HEAD~1:model.bin.mlops | sed -n 's/^oid: //p')")" model.bin
mlops checkout -q
assert_eq "$(cat model.bin)" v2 "model.bin"
ok "content that is in the store is replaced without --force"

# A folder replaced by a file, and the reverse.
mkdir -p x/s
echo 1 > x/a
echo 2 > x/s/b
mlops add -q --git-add x
git commit -qm "x is a folder"
rm -rf x
echo file > x
mlops add -q --git-add x
git commit -qm "x is a file"
git checkout -q HEAD~1
expect_code 0 "" -- mlops checkout x
[ -d x ] && [ "$(cat x/a)" = 1 ] && [ "$(cat x/s/b)" = 2 ] || fail "x is not the folder again"
expect_code 0 "up to date" -- mlops status --exit-code
git checkout -q main
expect_code 0 "" -- mlops checkout x
[ -f x ] && [ "$(cat x)" = file ] || fail "x is not the file again"
expect_code 0 "up to date" -- mlops status --exit-code
git checkout -q HEAD~1
echo edited > x
expect_rejected 2 "^mlops: error: x: local changes" -- mlops checkout x
git checkout -q main
mlops checkout -q --force x
ok "a folder replaced by a file and the reverse"

# Symlinks inside a tracked folder that stay inside it are stored as links and restored as links.
mkdir -p links/s
echo target > links/t.csv
ln -s t.csv links/l
ln -s ../t.csv links/s/up
mlops add -q links
rm -rf links
mlops checkout -q links
assert_eq "$(readlink links/l):$(readlink links/s/up)" "t.csv:../t.csv" "restored symlinks"
assert_eq "$(cat links/s/up)" target "content through a restored symlink"
expect_code 0 "up to date" -- mlops status --exit-code
ln -sf s/up links/l
expect_code 1 "modified: +links/l" -- mlops status --exit-code
mlops checkout -q --force links
assert_eq "$(readlink links/l)" t.csv "symlink after checkout --force"
ok "symlinks inside a folder"

# An empty tracked folder is restored too, also where a file stands.
mkdir empty
mlops add -q --git-add empty
git commit -qm "an empty folder"
rm -rf empty
expect_code 1 "^empty: missing" -- mlops status --exit-code
expect_code 0 "^empty: " -- mlops checkout
[ -d empty ] || fail "checkout did not restore the empty folder"
expect_code 0 "up to date" -- mlops status --exit-code
rmdir empty
echo "a file" > empty
mlops add -q --git-add empty
git commit -qm "empty is a file now"
git checkout -q HEAD~1
mlops checkout -q
[ -d empty ] || fail "checkout did not turn the file into the empty folder"
expect_code 0 "up to date" -- mlops status --exit-code
git checkout -q main
mlops checkout -q
[ -f empty ] || fail "checkout did not turn the empty folder into a file"
ok "an empty folder"

# hardlink: work-tree files are read-only links to the objects; status is clean.
mlops config cache.type hardlink
rm -rf data model.bin
mlops checkout -q
for f in data/a.csv data/keep/k.csv model.bin; do
    [ "$(stat -c %h "$f")" -ge 2 ] || fail "$f is not a hard link"
    [ "$(stat -c %a "$f")" = 444 ] || fail "$f is writable: $(stat -c %a "$f")"
done
assert_eq "$(stat -c %i model.bin)" "$(stat -c %i "$(object_path "$(oid_of model.bin.mlops)")")" "model.bin's inode"
expect_code 0 "up to date" -- mlops status --exit-code
ok "hardlink checkout"

# hardlink: add links new data into the store, and re-adding a folder leaves nothing behind.
echo 3 > data/three.csv
mlops add -q data
[ "$(stat -c %a data/three.csv)" = 444 ] || fail "data/three.csv was not linked into the store"
[ -z "$(find data -name '.tmp-*')" ] || fail "add left temporary files in the work tree: $(find data -name '.tmp-*')"
expect_code 0 "up to date" -- mlops status --exit-code
mlops add -q data
[ -z "$(find data -name '.tmp-*')" ] || fail "re-add left temporary files in the work tree"
expect_code 0 "up to date" -- mlops status --exit-code
mlops fsck -q || fail "fsck after hardlink add"
git checkout -q -- data.mlops
mlops checkout -q --force
ok "hardlink add"

# symlink: work-tree files are symlinks into the store; status is clean.
mlops config cache.type symlink
rm -rf data model.bin
mlops checkout -q
for f in data/a.csv data/keep/k.csv model.bin; do
    [ -L "$f" ] || fail "$f is not a symlink"
    case "$(readlink "$f")" in */.mlops/objects/*) ;; *) fail "$f points to $(readlink "$f")" ;; esac
done
assert_eq "$(cat model.bin)" v2 "content through the symlink"
expect_code 0 "up to date" -- mlops status --exit-code
echo s > solo.csv
mlops add -q solo.csv
[ -L solo.csv ] || fail "add did not replace solo.csv with a symlink"
expect_code 0 "up to date" -- mlops status --exit-code
git checkout -q v1 -- model.bin.mlops
mlops checkout -q model.bin
assert_eq "$(cat model.bin)" v1 "an older version through a symlink"
[ -L model.bin ] || fail "model.bin is not a symlink after checkout"
expect_code 0 "up to date" -- mlops status --exit-code
mlops fsck -q || fail "fsck after the symlink strategy"
ok "symlink strategy"

# Back to copies: the links become plain writable files.
mlops config cache.type copy
rm -rf data model.bin solo.csv
mlops checkout -q
[ -L model.bin ] && fail "model.bin is still a symlink"
[ -w model.bin ] && [ "$(stat -c %h model.bin)" = 1 ] || fail "model.bin is not a plain copy"
expect_code 0 "up to date" -- mlops status --exit-code
ok "copy strategy"

# reflink alone: where the filesystem cannot clone, checkout still writes a copy.
mlops config cache.type reflink
rm -rf data model.bin
mlops checkout -q
assert_eq "$(cat model.bin)" v1 "model.bin with cache.type reflink"
[ "$(stat -c %h model.bin)" = 1 ] && [ ! -L model.bin ] || fail "model.bin is not a file of its own"
expect_code 0 "up to date" -- mlops status --exit-code
ok "reflink falls back to a copy"
finish
