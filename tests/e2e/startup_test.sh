#!/usr/bin/env bash
# Start-up stays small: the executable links neither libgit2 nor libcurl (nor LibTorch); they are
# opened at run time by the commands that need them, and a missing or broken library is a one-line
# error naming it, not a crash, while the commands that do not need it keep working.
source "$(dirname "$0")/lib.sh"

libs=$(ldd "$MLOPS")
grep -qE 'libgit2|libcurl|libtorch|libc10' <<<"$libs" && fail "mlops links a library it should open lazily: $libs"
ok "mlops links neither libgit2, libcurl nor LibTorch"

new_repo startup
echo hello >a.txt
mlops add -q a.txt
git add a.txt.mlops .gitignore && git commit -qm "track a.txt"
expect_code 0 "a.txt" -- mlops log a.txt
ok "git history is read through the lazily opened libgit2"

broken="$E2E_TMP/broken-libs"
mkdir -p "$broken"
: >"$broken/libgit2.so.1.5"
: >"$broken/libcurl.so.4"
expect_code 6 "cannot load libgit2 .*libgit2.so.1.5" -- env LD_LIBRARY_PATH="$broken" "$MLOPS" log a.txt
ok "a broken libgit2 is a one-line error"

expect_code 0 "up to date" -- env LD_LIBRARY_PATH="$broken" "$MLOPS" status
expect_code 0 "" -- env LD_LIBRARY_PATH="$broken" "$MLOPS" add -q a.txt
ok "status and add need neither library"

mlops remote add -q store s3://bucket/prefix
expect_code 6 "remote 'store'.*cannot load libcurl" -- env LD_LIBRARY_PATH="$broken" AWS_ACCESS_KEY_ID=k AWS_SECRET_ACCESS_KEY=s "$MLOPS" push -r store
ok "a broken libcurl is a one-line error naming the remote"
finish
