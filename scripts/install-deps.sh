#!/usr/bin/env bash
# Installs what mlops needs to build and test, from Debian 12 packages (and npm for test servers).
set -euo pipefail
SUDO=""
[ "$(id -u)" = 0 ] || SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends \
  build-essential cmake ninja-build pkg-config git ca-certificates \
  libcli11-dev libgit2-dev libssl-dev libyaml-cpp-dev libsqlite3-dev libfmt-dev catch2 \
  nlohmann-json3-dev libcurl4-openssl-dev jq \
  python3 >/dev/null
# drift: the e2e test compares every statistic with scipy and opens the HTML report in Chromium.
$SUDO apt-get install -y -qq --no-install-recommends python3-scipy python3-pandas python3-numpy chromium >/dev/null
# LibTorch for train/evaluate/predict (built as the plugin libmlops_torch.so; mlops builds without it).
$SUDO apt-get install -y -qq --no-install-recommends libtorch-dev >/dev/null
# explain: the e2e test runs scikit-learn's permutation_importance beside mlops's, and writes a
# TorchScript module without gradients with PyTorch (the same LibTorch 1.13).
$SUDO apt-get install -y -qq --no-install-recommends python3-sklearn python3-torch >/dev/null
# cpp-httplib for mlops serve (built as the plugin libmlops_http.so; mlops builds without it); the
# serve e2e test talks to it with curl and parses the exported Kubernetes manifests with PyYAML.
$SUDO apt-get install -y -qq --no-install-recommends libcpp-httplib-dev curl python3-yaml >/dev/null
# The S3 tests run s3rver and the AWS SDK (npm) on Node.js. A Node.js from elsewhere (NodeSource)
# ships its own npm, and Debian's npm package would conflict with it: install only what is missing.
command -v node >/dev/null || $SUDO apt-get install -y -qq --no-install-recommends nodejs >/dev/null
command -v npm >/dev/null || $SUDO apt-get install -y -qq --no-install-recommends npm >/dev/null
# The Slurm e2e test starts a single-node cluster (slurmctld, slurmd, munged) from a config it writes
# into a temporary folder (tests/e2e/slurmlib.sh); the packages' own services are not used.
$SUDO apt-get install -y -qq --no-install-recommends slurm-wlm munge >/dev/null
# Hooks: the e2e test runs the project's .pre-commit-hooks.yaml under the real pre-commit framework.
$SUDO apt-get install -y -qq --no-install-recommends pre-commit >/dev/null
# Man pages: the e2e test checks docs/man/*.1 with mandoc's linter and renders them with man-db.
$SUDO apt-get install -y -qq --no-install-recommends mandoc man-db >/dev/null
