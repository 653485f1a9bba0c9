#!/usr/bin/env bash
# Global options: --json and -q before and after the subcommand, --version, --help with the exit-code
# table, -C DIR.
source "$(dirname "$0")/lib.sh"

new_repo globalopts
mkdir data && echo a > data/a.csv
mlops add -q data

expect_code 0 "^mlops [0-9]+\.[0-9]+\.[0-9]+" -- mlops --version
run mlops --version
assert_eq "$(wc -l <<<"$OUT" | tr -d ' ')" 1 "--version prints one line"
ok "--version"

run mlops --help
assert_eq "$RC" 0 "--help exit code"
for line in "0    success" "1    the checked condition is false" "2    usage error or bad input" \
    "3    integrity error" "4    a lock is held" "5    a remote failed" "6    the operating system refused" \
    "130  interrupted"; do
    grep -qF -- "$line" <<<"$OUT" || fail "--help lacks the exit code line '$line': $OUT"
done
grep -q "^Exit codes:" <<<"$OUT" || fail "--help has no 'Exit codes:' table"
for cmd in init add status checkout diff log gc fsck config; do
    grep -qE "^  $cmd " <<<"$OUT" || fail "--help does not list $cmd"
done
run mlops -h
assert_eq "$RC:$(grep -c '^Exit codes:' <<<"$OUT")" 0:1 "-h"
run mlops status --help
assert_eq "$RC" 0 "status --help exit code"
grep -q -- "--exit-code" <<<"$OUT" || fail "status --help does not document --exit-code: $OUT"
ok "--help shows the commands and the exit-code table"

# --json before and after the subcommand: the same single JSON document on stdout.
before=$(mlops --json status)
after=$(mlops status --json)
assert_eq "$after" "$before" "--json after the subcommand"
assert_eq "$(json_get 'j["clean"]' <<<"$before")" true "status --json"
assert_eq "$(mlops --json add data | json_get 'j["added"][0]["path"]')" data "--json before add"
assert_eq "$(mlops add data --json | json_get 'j["added"][0]["path"]')" data "--json after add"
assert_eq "$(mlops fsck --json | json_get 'j["ok"]')" true "--json after fsck"
ok "--json before and after the subcommand"

# -q before and after: nothing on stdout; errors still on stderr.
echo b > data/b.csv
run mlops -q add data
assert_eq "$RC:$OUT" "0:" "-q before add"
echo c > data/c.csv
run mlops add data -q
assert_eq "$RC:$OUT" "0:" "-q after add"
run mlops --quiet status
assert_eq "$RC:$OUT" "0:" "--quiet status"
echo changed > data/c.csv
run mlops status -q --exit-code
assert_eq "$RC:$OUT" "1:" "-q status --exit-code with changes"
run mlops -q add nothere
assert_eq "$RC" 2 "-q with an error"
grep -q "^mlops: error: nothere: no such file or folder" <<<"$ERR" || fail "-q hid the error: $ERR"
mlops add -q data
ok "-q before and after the subcommand"

# -C DIR, before and after the subcommand, relative and absolute; paths are relative to DIR.
cd "$E2E_TMP"
expect_code 0 "up to date" -- mlops -C globalopts status --exit-code
expect_code 0 "up to date" -- mlops status -C globalopts --exit-code
expect_code 0 "up to date" -- mlops -C "$E2E_TMP/globalopts" status --exit-code
expect_code 0 "up to date \(1 path\)" -- mlops -C globalopts/data status --exit-code ../data
assert_eq "$(mlops -C globalopts --json status | json_get 'j["paths"][0]["path"]')" data "-C with --json"
mkdir -p globalopts/sub && echo s > globalopts/sub/s.csv
expect_code 0 "added s\.csv" -- mlops -C globalopts/sub add s.csv
[ -f globalopts/sub/s.csv.mlops ] || fail "-C sub add: no sub/s.csv.mlops"
expect_code 2 "not an mlops repository" -- mlops -C "$E2E_TMP" status
cd globalopts
ok "-C DIR"

# Options of a subcommand are not global: `-f` before the subcommand is refused.
expect_code 2 "^mlops: error: " -- mlops -f checkout
expect_code 2 "^mlops: error: " -- mlops --git-add add data
ok "subcommand options stay with their subcommand"
finish
