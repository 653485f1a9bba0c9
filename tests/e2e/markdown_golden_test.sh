#!/usr/bin/env bash
# The Markdown that CI bots post (`metrics diff --format md`, `params diff --format md`,
# `drift --format md`), compared byte for byte with tests/e2e/golden/*.md. To refresh after an
# intended change: MLOPS_UPDATE_GOLDEN=1 bash tests/e2e/markdown_golden_test.sh
source "$(dirname "$0")/lib.sh"
export GIT_AUTHOR_DATE="2026-01-02T03:04:05+0000" GIT_COMMITTER_DATE="2026-01-02T03:04:05+0000"

# check_golden_md NAME CMD...: the stdout of CMD must equal golden/NAME.md; the exit code is kept
# in GOLDEN_RC (diff and drift exit 1 on purpose here).
check_golden_md() {
    local name=$1 got
    shift
    GOLDEN_RC=0
    got=$("$@") || GOLDEN_RC=$?
    [ "${MLOPS_UPDATE_GOLDEN:-}" = 1 ] && printf '%s\n' "$got" > "$GOLDEN_DIR/$name.md"
    diff -u "$GOLDEN_DIR/$name.md" <(printf '%s\n' "$got") || fail "$name: Markdown differs from golden/$name.md"
    ok "$name"
}

new_repo md
cat > mlops.yaml <<'YAML'
stages:
  train:
    cmd: >-
      mkdir -p metrics && python3 -c "import json, yaml; p = yaml.safe_load(open('params.yaml'))['train'];
      m = {'acc': round(1 - p['lr'], 4), 'epochs': p['epochs'], 'loss': {'val': p['lr'] * 2}, 'opt': p['opt'], 'seed': 42};
      m.update({'f1': 0.7} if p['epochs'] > 5 else {'recall': 0.5}); json.dump(m, open('metrics/train.json', 'w'))"
    params: [train]
    metrics: [metrics/train.json]
YAML
printf 'train:\n  lr: 0.1\n  epochs: 5\n  opt: sgd\n' > params.yaml
mlops run -q && commit v1
printf 'train:\n  lr: 0.25\n  epochs: 7\n  opt: adam\n' > params.yaml
mlops run -q && commit v2

check_golden_md metrics_diff mlops metrics diff HEAD~1 HEAD --format md
check_golden_md metrics_diff_all mlops metrics diff HEAD~1 HEAD --format md --all --exit-code
assert_eq "$GOLDEN_RC" 1 "metrics diff --exit-code"
check_golden_md params_diff mlops params diff HEAD~1 HEAD --format md
check_golden_md metrics_diff_none mlops metrics diff HEAD HEAD --format md

# Drift: two seeded samples, one shifted.
python3 - <<'PY'
import random
for name, seed, shift in (("ref.csv", 1, 0.0), ("cur.csv", 2, 0.8)):
    r = random.Random(seed)
    with open(name, "w") as f:
        f.write("age,income,city\n")
        for _ in range(400):
            f.write(f"{r.gauss(40, 8) + shift * 10:.2f},{r.gauss(50, 5) + shift * 5:.2f},{r.choice(['a', 'b', 'c'])}\n")
PY
check_golden_md drift mlops drift ref.csv cur.csv --format md --no-multivariate
check_golden_md drift_fail mlops drift ref.csv cur.csv --format md --fail-on-drift
assert_eq "$GOLDEN_RC" 1 "drift --fail-on-drift exit code"
finish
