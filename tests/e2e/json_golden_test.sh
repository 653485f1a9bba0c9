#!/usr/bin/env bash
# The --json output of every core command, compared byte for byte with tests/e2e/golden/*.json.
# Commit dates are pinned, so commit ids and oids are deterministic; the temporary root is replaced
# by ROOT. To refresh after an intended change: MLOPS_UPDATE_GOLDEN=1 bash tests/e2e/json_golden_test.sh
source "$(dirname "$0")/lib.sh"
golden_dir="$(cd "$(dirname "$0")" && pwd)/golden"
export GIT_AUTHOR_DATE="2026-01-02T03:04:05+0000" GIT_COMMITTER_DATE="2026-01-02T03:04:05+0000"

check() {
    local name=$1
    shift
    local got
    got=$("$@" | sed "s|$PWD|ROOT|g")
    if [ "${MLOPS_UPDATE_GOLDEN:-}" = 1 ]; then
        printf '%s\n' "$got" > "$golden_dir/$name.json"
    fi
    diff -u "$golden_dir/$name.json" <(printf '%s\n' "$got") || fail "$name: --json output differs from golden/$name.json"
    ok "$name"
}

mkdir -p "$E2E_TMP/golden" && cd "$E2E_TMP/golden" && git init -q -b main
check init mlops --json init
mkdir data && printf 'a\n' > data/a.csv && printf 'm\n' > model.pt
check add mlops add data model.pt --json
git add -A && git commit -qm one
printf 'b\n' > data/a.csv && printf 'c\n' > data/c.csv
check status mlops --json status
check diff mlops --json diff
mlops add -q data && git commit -qam two
check log mlops --json log data
check checkout mlops --json checkout
check gc mlops --json gc --dry-run
check fsck mlops --json fsck
check config_set mlops --json config core.jobs 2
check config_get mlops --json config core.jobs
check config_list mlops --json config --list
finish
