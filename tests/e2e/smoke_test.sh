#!/usr/bin/env bash
# The basic cycle a user goes through: init, add, commit, change, status, checkout.
source "$(dirname "$0")/lib.sh"

new_repo smoke
mkdir data && echo a > data/a.csv && echo b > data/b.csv
mlops add data -q
[ -f data.mlops ] || fail "no pointer file"
grep -qx '/data' .gitignore || fail ".gitignore lacks /data"
ok "add writes pointer and .gitignore"

expect_code 0 "up to date" -- mlops status --exit-code
echo changed > data/a.csv
expect_code 1 "modified" -- mlops status --exit-code
ok "status --exit-code"

mlops checkout --force -q data
[ "$(cat data/a.csv)" = a ] || fail "checkout did not restore data/a.csv"
ok "checkout --force restores"
finish
