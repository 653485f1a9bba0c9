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
  nlohmann-json3-dev \
  python3 >/dev/null
