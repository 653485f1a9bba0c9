#!/usr/bin/env bash
# Bad input: every case gives exactly one `mlops: error:` line that names the path or file, a
# non-zero exit code, and changes nothing (no pointer file, no .gitignore line, no object).
source "$(dirname "$0")/lib.sh"

new_repo bad
git add .mlops && git commit -qm init
mkdir -p "$E2E_TMP/outside/dir"
echo secret > "$E2E_TMP/outside/secret.txt"
echo secret > "$E2E_TMP/outside/dir/s.txt"
mkdir data && echo a > data/a.csv && echo b > data/b.csv
echo m > model.bin
mlops add -q --git-add data model.bin
git commit -qm data

# Paths outside the work tree.
expect_rejected 2 "$E2E_TMP/outside/secret\.txt: path is outside the work tree" -- mlops add "$E2E_TMP/outside/secret.txt"
expect_rejected 2 "\.\./outside/secret\.txt: path is outside the work tree" -- mlops add ../outside/secret.txt
expect_rejected 2 "data/\.\./\.\./outside: path is outside the work tree" -- mlops add data/../../outside
expect_rejected 2 "\.\./bad2: path is outside the work tree" -- mlops add ../bad2
expect_rejected 2 "\.\./outside/secret\.txt: path is outside" -- mlops status ../outside/secret.txt
expect_rejected 2 "\.\./outside/secret\.txt: path is outside" -- mlops checkout ../outside/secret.txt
ok "paths outside the work tree, also through .."

# ".." that stays inside is fine.
mkdir other && echo o > other/o.csv
expect_code 0 "added other " -- mlops add data/../other
mlops status -q --exit-code other || fail "status of other"
ok ".. that stays inside the work tree"

# Symlinks that lead outside: at the top, inside a tracked folder, and as a folder on the way.
ln -s "$E2E_TMP/outside/secret.txt" link.txt
expect_rejected 2 "^mlops: error: link\.txt: symlink points outside the work tree" -- mlops add link.txt
ln -s "$E2E_TMP/outside" linkdir
expect_rejected 2 "^mlops: error: linkdir: symlink points outside the work tree" -- mlops add linkdir
expect_rejected 2 "^mlops: error: linkdir/secret\.txt: .*symlink" -- mlops add linkdir/secret.txt
expect_rejected 2 "^mlops: error: linkdir/dir: .*symlink" -- mlops add linkdir/dir
[ -e "$E2E_TMP/outside/secret.txt.mlops" ] && fail "a pointer file was written outside the work tree"
[ -e "$E2E_TMP/outside/.gitignore" ] && fail "a .gitignore was written outside the work tree"
ln -s "$E2E_TMP/outside/secret.txt" data/evil
expect_rejected 2 "^mlops: error: data/evil: symlink points outside the work tree" -- mlops add data
run mlops status data
assert_eq "$RC" 2 "status of a folder holding a symlink that leads outside"
ln -sf ../../outside/secret.txt data/evil
expect_rejected 2 "^mlops: error: data/evil: symlink points outside the work tree" -- mlops add data
ln -sf /nonexistent/target data/evil
expect_rejected 2 "^mlops: error: data/evil: symlink points outside the work tree" -- mlops add data
rm data/evil
ln -s a.csv data/inside
expect_code 0 "added data" -- mlops add data
rm data/inside && mlops add -q data
ok "symlinks that lead outside the work tree"

# A symlinked folder inside the work tree: the pointer would not be where git sees it.
mkdir real && echo r > real/r.csv
ln -s real alias
expect_rejected 2 "^mlops: error: alias/r\.csv: .*symlink" -- mlops add alias/r.csv
expect_rejected 2 "^mlops: error: alias: is a symlink" -- mlops add alias
rm alias
ok "paths through a symlinked folder"

# Paths that do not exist, and pointer files named as data.
expect_rejected 2 "^mlops: error: nothere\.csv: no such file or folder" -- mlops add nothere.csv
expect_rejected 2 "^mlops: error: data/nothere: no such file or folder" -- mlops add data/nothere
expect_rejected 2 "^mlops: error: model\.bin\.mlops: is a pointer file" -- mlops add model.bin.mlops
expect_rejected 2 "^mlops: error: nothere: not tracked" -- mlops checkout nothere
expect_rejected 2 "cannot track the whole work tree" -- mlops add .
ok "paths that do not exist"

# The repository's own metadata.
expect_rejected 2 "^mlops: error: \.git/config: path is inside the repository's own metadata" -- mlops add .git/config
expect_rejected 2 "^mlops: error: \.git: path is inside the repository's own metadata" -- mlops add .git
expect_rejected 2 "^mlops: error: \.mlops/config: path is inside the repository's own metadata" -- mlops add .mlops/config
expect_rejected 2 "^mlops: error: \.mlops: path is inside" -- mlops add .mlops
expect_rejected 2 "^mlops: error: data/\.\./\.mlops/objects: path is inside" -- mlops add data/../.mlops/objects
expect_rejected 2 "^mlops: error: \.gitignore: mlops writes this file" -- mlops add .gitignore
mkdir -p sub && echo '*.tmp' > sub/.gitignore
expect_rejected 2 "^mlops: error: sub/\.gitignore: mlops writes this file" -- mlops add sub/.gitignore
rm -rf sub
ok ".git, .mlops and .gitignore cannot be added"

# Inside an already-tracked folder, or holding tracked paths.
expect_rejected 2 "^mlops: error: data/a\.csv: is inside the tracked folder data" -- mlops add data/a.csv
mkdir data/sub && echo s > data/sub/s.csv
expect_rejected 2 "^mlops: error: data/sub: is inside the tracked folder data" -- mlops add data/sub
rm -rf data/sub
mkdir -p outer/inner && echo i > outer/inner/i.csv
mlops add -q outer/inner
expect_code 2 "^mlops: error: outer: contains outer/inner, which is tracked on its own" -- mlops add outer
ok "overlapping tracked paths"

# Pointer files that are not valid: invalid YAML, an unknown key, a bad value.
cp model.bin.mlops "$E2E_TMP/model.keep"
printf 'version: 1\nkind: [file\noid: x\n' > model.bin.mlops
expect_rejected 2 "^mlops: error: model\.bin\.mlops:[0-9]+:[0-9]+: invalid YAML" -- mlops status
expect_rejected 2 "^mlops: error: model\.bin\.mlops:[0-9]+:[0-9]+: invalid YAML" -- mlops checkout
expect_rejected 2 "^mlops: error: model\.bin\.mlops:[0-9]+:[0-9]+: invalid YAML" -- mlops fsck
expect_rejected 2 "^mlops: error: model\.bin\.mlops:[0-9]+:[0-9]+: invalid YAML" -- mlops gc
cp "$E2E_TMP/model.keep" model.bin.mlops
echo "colour: red" >> model.bin.mlops
line=$(wc -l < model.bin.mlops)
expect_rejected 2 "^mlops: error: model\.bin\.mlops:$line:1: unknown key 'colour'" -- mlops status
expect_rejected 2 "^mlops: error: model\.bin\.mlops:$line:1: unknown key 'colour'" -- mlops checkout model.bin
cp "$E2E_TMP/model.keep" model.bin.mlops
sed -i 's/^oid: .*/oid: not-an-oid/' model.bin.mlops
expect_rejected 2 "^mlops: error: model\.bin\.mlops:[0-9]+:[0-9]+: oid must be 64 lowercase hex digits" -- mlops status
cp "$E2E_TMP/model.keep" model.bin.mlops
sed -i 's/^ois: .*//; s/^kind: .*/kind: blob/' model.bin.mlops
expect_rejected 2 "^mlops: error: model\.bin\.mlops:[0-9]+:[0-9]+: kind must be file or dir" -- mlops status
cp "$E2E_TMP/model.keep" model.bin.mlops
sed -i '/^oid: /d' model.bin.mlops
expect_rejected 2 "^mlops: error: model\.bin\.mlops: missing key 'oid'" -- mlops status
cp "$E2E_TMP/model.keep" model.bin.mlops
sed -i 's/^version: .*/version: 7/' model.bin.mlops
expect_rejected 2 "^mlops: error: model\.bin\.mlops:[0-9]+:[0-9]+: pointer version 7 is not supported" -- mlops status
cp "$E2E_TMP/model.keep" model.bin.mlops
printf 'version: 1\nkind: file\nsize: 1\n' > model.bin.mlops
git commit -qam "commit a pointer without an oid"
expect_rejected 2 "^mlops: error: HEAD:model\.bin\.mlops: missing key 'oid'" -- mlops diff HEAD
expect_rejected 2 "model\.bin\.mlops: missing key 'oid'" -- mlops gc
expect_rejected 2 "model\.bin\.mlops: missing key 'oid'" -- mlops log model.bin
git reset -q --hard HEAD~1
ok "invalid pointer files name the file and line"

# A pointer naming an object the store does not have: checkout exits 3 and writes nothing.
cp "$E2E_TMP/model.keep" model.bin.mlops
sed -i "s/^oid: .*/oid: $(printf 'ab%.0s' {1..32})/" model.bin.mlops
rm model.bin
expect_rejected 3 "^mlops: error: model\.bin: object missing from the store" -- mlops checkout
expect_rejected 3 "^mlops: error: model\.bin: object missing from the store" -- mlops checkout model.bin
[ -e model.bin ] && fail "checkout created model.bin without its object"
cp "$E2E_TMP/model.keep" model.bin.mlops
mlops checkout -q model.bin
ok "a pointer naming a missing object"

# Outside any repository.
mkdir -p "$E2E_TMP/norepo/sub"
cd "$E2E_TMP/norepo/sub"
echo x > x.csv
for cmd in status "add x.csv" checkout diff "log x.csv" gc fsck "config core.jobs"; do
    # shellcheck disable=SC2086
    expect_rejected 2 "^mlops: error: not an mlops repository" -- mlops $cmd
done
expect_rejected 2 "is not inside a git work tree; run .git init. first, or .mlops init --no-git." -- mlops init
[ -e .mlops ] && fail "init outside git created .mlops"
expect_code 0 "Initialized empty mlops repository" -- mlops init --no-git
expect_rejected 2 "^mlops: error: .*not a git work tree \(initialised with --no-git\)" -- mlops diff
cd "$E2E_TMP"
git init -q gitonly
cd gitonly
expect_rejected 2 "^mlops: error: not an mlops repository: $E2E_TMP/gitonly has no \.mlops folder" -- mlops status
ok "outside a repository"

# Usage errors: unknown subcommand, unknown option, missing argument, too many revisions.
cd "$E2E_TMP/bad"
expect_rejected 2 "^mlops: error: .*frobnicate" -- mlops frobnicate
expect_rejected 2 "^mlops: error: .*--frob" -- mlops status --frob
expect_rejected 2 "^mlops: error: .*--frob" -- mlops --frob status
expect_rejected 2 "^mlops: error: .*(subcommand|command)" -- mlops
expect_rejected 2 "^mlops: error: .*paths" -- mlops add
expect_rejected 2 "^mlops: error: .*-j" -- mlops add -j notanumber data
expect_rejected 2 "^mlops: error: diff takes at most two revisions" -- mlops diff HEAD HEAD HEAD
ok "usage errors"
finish
