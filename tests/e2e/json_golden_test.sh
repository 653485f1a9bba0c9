#!/usr/bin/env bash
# The --json output of every core command, compared byte for byte with tests/e2e/golden/*.json.
# Commit dates are pinned, so commit ids and oids are deterministic; the temporary root is replaced
# by ROOT. To refresh after an intended change: MLOPS_UPDATE_GOLDEN=1 bash tests/e2e/json_golden_test.sh
source "$(dirname "$0")/lib.sh"
export GIT_AUTHOR_DATE="2026-01-02T03:04:05+0000" GIT_COMMITTER_DATE="2026-01-02T03:04:05+0000"

mkdir -p "$E2E_TMP/golden" && cd "$E2E_TMP/golden" && git init -q -b main
check_golden init mlops --json init
mkdir data && printf 'a\n' > data/a.csv && printf 'm\n' > model.pt
check_golden add mlops add data model.pt --json
git add -A && git commit -qm one
printf 'b\n' > data/a.csv && printf 'c\n' > data/c.csv
check_golden status mlops --json status
check_golden diff mlops --json diff
mlops add -q data && git commit -qam two
check_golden log mlops --json log data
check_golden checkout mlops --json checkout
check_golden gc mlops --json gc --dry-run
check_golden fsck mlops --json fsck
check_golden config_set mlops --json config core.jobs 2
check_golden config_get mlops --json config core.jobs
check_golden config_list mlops --json config --list
finish
