#!/usr/bin/env bash
# git hooks (mlops hooks install/uninstall/run): real git commits, pushes, checkouts and merges in
# temporary repositories, with a user's hook already in place (chained, then restored byte for byte).
source "$(dirname "$0")/lib.sh"
# The hooks call `mlops` from PATH, as a user's shell would.
export PATH="$(cd "$(dirname "$MLOPS")" && pwd):$PATH"

new_repo work
mkdir data && printf 'a,b\n1,2\n' > data/train.csv && printf 'x\n' > notes.txt
mlops add -q data
git add -A && git commit -qm one

# A hook the user had before: it must run first, and come back untouched.
printf '#!/bin/sh\necho "user hook ran $*" >> "%s/user-hook.log"\n' "$E2E_TMP" > .git/hooks/pre-commit
chmod 0750 .git/hooks/pre-commit
user_sum=$(sha256 .git/hooks/pre-commit)
expect_code 0 "pre-commit: installed \(the hook that was there runs first" -- mlops hooks install
for h in pre-commit pre-push post-checkout post-merge; do
    [ -x .git/hooks/$h ] || fail "$h not installed"
    grep -q "hooks run $h" .git/hooks/$h || fail "$h does not call mlops hooks run"
done
assert_eq "$(sha256 .git/hooks/pre-commit.mlops-chained)" "$user_sum" "chained hook content"
before=$(sha256 .git/hooks/pre-push)
out=$(mlops --json hooks install)
assert_eq "$(jq -r '[.hooks[].action] | unique | join(",")' <<<"$out")" "unchanged" "second install"
assert_eq "$(sha256 .git/hooks/pre-push)" "$before" "second install rewrote pre-push"
assert_eq "$(sha256 .git/hooks/pre-commit.mlops-chained)" "$user_sum" "second install chained our own hook"
ok "install writes four hooks, chains the user's pre-commit, and is idempotent"

# A clean commit passes, and the user's hook ran.
echo y >> notes.txt && git add notes.txt
git commit -qm clean 2> "$E2E_TMP/err.txt" || fail "clean commit refused: $(cat "$E2E_TMP/err.txt")"
grep -q "user hook ran" "$E2E_TMP/user-hook.log" || fail "the chained user hook did not run"
ok "a clean commit passes through both hooks"

# Data modified but not re-added: refused, naming the path and the fix.
printf '3,4\n' >> data/train.csv
echo z >> notes.txt && git add notes.txt
rc=0; git commit -qm dirty 2> "$E2E_TMP/err.txt" || rc=$?
[ "$rc" != 0 ] || fail "a commit with data not re-added passed"
grep -q '^mlops: data: modified since `mlops add`.*(fix: `mlops add data`, then `git add data.mlops`)$' "$E2E_TMP/err.txt" || fail "message: $(cat "$E2E_TMP/err.txt")"
grep -q 'commit refused' "$E2E_TMP/err.txt" || fail "no verdict line: $(cat "$E2E_TMP/err.txt")"
grep -qiE 'terminate|what\(\)|Segmentation' "$E2E_TMP/err.txt" && fail "crash: $(cat "$E2E_TMP/err.txt")"
ok "pre-commit refuses tracked data that was not re-added, one line per problem"

# Re-added but the pointer file not staged: refused too.
mlops add -q data
rc=0; git commit -qm dirty 2> "$E2E_TMP/err.txt" || rc=$?
[ "$rc" != 0 ] || fail "a commit with an unstaged pointer file passed"
grep -q '^mlops: data.mlops: changed (by `mlops add`) but the change is not staged.*`git add data.mlops`' "$E2E_TMP/err.txt" || fail "message: $(cat "$E2E_TMP/err.txt")"
# `git commit -a` stages into a temporary index (GIT_INDEX_FILE): the hook must read that one.
git commit -qam "commit -a" 2> "$E2E_TMP/err.txt" || fail "git commit -a refused: $(cat "$E2E_TMP/err.txt")"
[ -z "$(git status --porcelain)" ] || fail "not everything committed"
ok "pre-commit sees git commit -a's temporary index"

# A staged pointer file naming an object that is not in the store.
cat > ghost.mlops <<PTR
# mlops pointer file: commit it with git; the data lives in the mlops store.
version: 1
kind: file
oid: $(printf '%064d' 7)
size: 3
files: 1
PTR
git add ghost.mlops
rc=0; git commit -qm ghost 2> "$E2E_TMP/err.txt" || rc=$?
[ "$rc" != 0 ] || fail "a pointer naming a missing object was committed"
grep -q '^mlops: ghost.mlops: names the file object 000000000000, which is not in the store (fix: `mlops add ghost`' "$E2E_TMP/err.txt" || fail "message: $(cat "$E2E_TMP/err.txt")"
printf 'version: 1\nkind: [file\n' > ghost.mlops && git add ghost.mlops
rc=0; git commit -qm ghost 2> "$E2E_TMP/err.txt" || rc=$?
[ "$rc" != 0 ] || fail "a broken pointer file was committed"
grep -q '^mlops: ghost.mlops: not a valid pointer file: ghost.mlops:' "$E2E_TMP/err.txt" || fail "message: $(cat "$E2E_TMP/err.txt")"
git rm -q --cached ghost.mlops && rm ghost.mlops
ok "pre-commit refuses staged pointer files that are broken or name missing objects"

# The run subcommand is what the scripts call; its usage errors are one line.
expect_code 2 "not a hook mlops runs|pre-rebase" -- mlops hooks run pre-rebase
expect_code 2 "pre-push input line 1" -- sh -c 'echo "garbage" | "$MLOPS" hooks run pre-push origin url'

# pre-push without an mlops remote: a warning, and the push goes through (or is refused on request).
git init -q --bare -b main "$E2E_TMP/origin.git"
git remote add origin "$E2E_TMP/origin.git"
git push -q origin main 2> "$E2E_TMP/err.txt" || fail "push without an mlops remote refused: $(cat "$E2E_TMP/err.txt")"
grep -q "mlops: warning: pre-push: no mlops remote is configured" "$E2E_TMP/err.txt" || fail "no warning: $(cat "$E2E_TMP/err.txt")"
mlops config hooks.require_remote true
echo w >> notes.txt && git commit -qam w
rc=0; git push -q origin main 2> "$E2E_TMP/err.txt" || rc=$?
[ "$rc" != 0 ] || fail "push went through with hooks.require_remote"
grep -q "hooks.require_remote is set: push refused" "$E2E_TMP/err.txt" || fail "message: $(cat "$E2E_TMP/err.txt")"
mlops config --unset hooks.require_remote
ok "pre-push without an mlops remote warns (or refuses with hooks.require_remote)"

# pre-push with a remote: the objects of the pushed commits go there, and only those.
REMOTE="$E2E_TMP/store"
mlops remote add -q store "$REMOTE"
git add .mlops && git commit -qm "remote"
git push -q origin main 2> "$E2E_TMP/err.txt" || fail "push refused: $(cat "$E2E_TMP/err.txt")"
grep -q "Pushed .* to 'store'" "$E2E_TMP/err.txt" || fail "the hook said nothing about the push: $(cat "$E2E_TMP/err.txt")"
tree=$(oid_of data.mlops)
[ -f "$REMOTE/${tree:0:2}/${tree:2}" ] || fail "the pushed commit's data is not on the mlops remote"
# A local object that a pushed commit needs but that is gone: the push is refused.
mkdir big && head -c 5000 /dev/urandom > big/blob.bin && mlops add -q big && git add -A && git commit -qm big
obj=$(object_path "$(sha256 big/blob.bin)")
cp "$obj" "$E2E_TMP/saved-object" && chmod u+w "$obj" && rm -f "$obj"
rc=0; git push -q origin main 2> "$E2E_TMP/err.txt" || rc=$?
[ "$rc" != 0 ] || fail "a push whose data is missing here went through"
grep -q "^mlops: error: remote 'store': 2 objects could not be pushed" "$E2E_TMP/err.txt" &&
    grep -q "^mlops: warning: big/blob.bin (.*): not in the local store" "$E2E_TMP/err.txt" ||
    fail "message: $(cat "$E2E_TMP/err.txt")"
cp "$E2E_TMP/saved-object" "$obj"
git push -q origin main 2> "$E2E_TMP/err.txt" || fail "push refused after restoring the object: $(cat "$E2E_TMP/err.txt")"
ok "pre-push sends the pushed commits' objects to the mlops remote, and refuses when they are missing"

# A clone, with hooks: post-checkout on branch switches, post-merge after a pull.
cd "$E2E_TMP" && git clone -q origin.git clone && cd clone
mlops pull -q
mlops hooks install -q
git checkout -q -b other
printf 'other\n' > data/train.csv && mlops add -q data && git commit -qam other
git checkout -q main 2> "$E2E_TMP/err.txt" || fail "checkout: $(cat "$E2E_TMP/err.txt")"
cmp data/train.csv "$E2E_TMP/work/data/train.csv" || fail "post-checkout did not restore main's data"
git checkout -q other
assert_eq "$(cat data/train.csv)" "other" "post-checkout to other"
git checkout -q main
git checkout -q other -- notes.txt # a file checkout (flag 0): data untouched
cmp data/train.csv "$E2E_TMP/work/data/train.csv" || fail "a file checkout ran mlops checkout"
git reset -q --hard
git merge -q --ff-only other 2> "$E2E_TMP/err.txt" || fail "merge: $(cat "$E2E_TMP/err.txt")"
assert_eq "$(cat data/train.csv)" "other" "post-merge checkout"
ok "post-checkout (branch switches only) and post-merge run mlops checkout"

# core.hooksPath is honoured, relative to the work tree.
cd "$E2E_TMP/work"
git config core.hooksPath .githooks
out=$(mlops --json hooks install --pre-commit)
assert_eq "$(jq -r .hooks_dir <<<"$out")" "$PWD/.githooks" "hooks dir"
[ -x .githooks/pre-commit ] || fail "not written to core.hooksPath"
mlops hooks uninstall -q
[ ! -e .githooks/pre-commit ] || fail "uninstall left .githooks/pre-commit"
git config --unset core.hooksPath
ok "core.hooksPath is honoured"

# Uninstall restores exactly what was there.
out=$(mlops --json hooks uninstall)
assert_eq "$(jq -r '.hooks[0].action' <<<"$out")" "restored" "pre-commit restored"
assert_eq "$(sha256 .git/hooks/pre-commit)" "$user_sum" "restored hook content"
assert_eq "$(stat -c %a .git/hooks/pre-commit)" "750" "restored hook mode"
for h in pre-push post-checkout post-merge pre-commit.mlops-chained; do [ ! -e .git/hooks/$h ] || fail "$h left behind"; done
ok "uninstall restores the user's hook byte for byte, with its mode"

# The --json documents (docs/json.md), byte for byte.
mkdir "$E2E_TMP/golden" && cd "$E2E_TMP/golden" && git init -q -b main && mlops init -q
printf '#!/bin/sh\nexit 0\n' > .git/hooks/pre-commit && chmod +x .git/hooks/pre-commit
check_golden hooks_install mlops --json hooks install
check_golden hooks_uninstall mlops --json hooks uninstall
mkdir data && echo a > data/a.csv && mlops add -q data && echo b >> data/a.csv
# exit 1 (a problem): check_golden runs in an || list so that set -e lets it compare the output
check_golden hooks_check_status mlops --json hooks check status || true
expect_code 1 "" -- mlops hooks check status

mkdir "$E2E_TMP/nogit" && cd "$E2E_TMP/nogit" && mlops init -q --no-git
expect_code 2 "hooks need git" -- mlops hooks install
finish
