#!/usr/bin/env bash
# Installs the npm packages the S3 tests use (s3rver and the AWS SDK pieces that check mlops'
# requests) into DIR/node_modules, once: concurrent callers wait on a lock. From the npm registry.
# Usage: install.sh DIR
set -euo pipefail
dir=${1:?usage: install.sh DIR}
packages=(s3rver@3.7.1 @aws-sdk/client-s3@3 @smithy/signature-v4 @aws-crypto/sha256-js)
mkdir -p "$dir"
exec 9>"$dir/.install.lock"
flock 9
for p in s3rver @aws-sdk/client-s3 @smithy/signature-v4 @aws-crypto/sha256-js; do
    if [ ! -f "$dir/node_modules/$p/package.json" ]; then
        npm install --prefix "$dir" --no-audit --no-fund --loglevel=error "${packages[@]}" >&2
        break
    fi
done
