#!/usr/bin/env bash
# The README's first command: install the packages, build, and run the example end to end.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/build.sh
bash examples/run.sh
