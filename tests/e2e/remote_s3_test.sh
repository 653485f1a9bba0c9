#!/usr/bin/env bash
# Remotes on S3, against s3rver on loopback: push (multipart included), pull into a clone, partial
# pull, the AWS SDK's signer agreeing with every signature mlops sent, the AWS SDK reading back
# what mlops pushed, and the faults: wrong credentials, missing bucket, server down, corrupt
# objects, intermittent failures, kill -9.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/s3lib.sh"

s3_setup
s3_start "$E2E_TMP/s3data" mlops-test
export MLOPS_S3_SIGN_LOG="$E2E_TMP/sign.log" MLOPS_REMOTE_RETRY_BASE_MS=5

new_repo origin
mkdir -p data/a data/b
for i in $(seq 1 30); do head -c $((i * 131)) /dev/urandom >"data/a/f$i.bin"; done
for i in $(seq 1 5); do echo "row $i" >"data/b/r$i.csv"; done
head -c 20000000 /dev/urandom >big.bin # 3 parts of 8 MiB
mlops add -q data big.bin
mlops remote add s3 s3://mlops-test/team/project
mlops remote modify s3 endpoint "$S3_ENDPOINT"
mlops remote modify s3 multipart_threshold 8M
mlops remote modify s3 part_size 8M
git add -A && git commit -qm "data and s3 remote"

out=$(mlops push --json -v 2>"$E2E_TMP/push.log")
[ "$(jq -r .sent.objects <<<"$out")" = 37 ] || fail "push: $out"
grep -q "S3RVER" "$E2E_TMP/push.log" && fail "-v log shows credentials"
grep -q "put " "$E2E_TMP/push.log" || fail "-v did not log operations"
out=$(mlops push --json)
[ "$(jq -r .sent.objects <<<"$out")" = 0 ] && [ "$(jq -r .skipped.objects <<<"$out")" = 37 ] || fail "second push: $out"
ok "push to S3 (multipart for big.bin); a second push sends nothing"

# The record of what the remote has spares the requests; --recheck asks again (an object deleted
# on the remote behind mlops' back is sent again), and remote status always asks.
oid=$(sed -n 's/^oid: //p' data.mlops)
node -e '
const { S3Client, DeleteObjectCommand } = require("@aws-sdk/client-s3");
const s3 = new S3Client({ endpoint: process.argv[1], region: "us-east-1", forcePathStyle: true });
s3.send(new DeleteObjectCommand({ Bucket: "mlops-test", Key: process.argv[2] })).catch((e) => { console.error(e.message); process.exit(1); });
' "$S3_ENDPOINT" "team/project/${oid:0:2}/${oid:2}"
expect_code 1 "data: 1 of .* missing on 's3'" -- mlops status --remote --exit-code
[ "$(jq -r .sent.objects <<<"$(mlops push --json)")" = 0 ] || fail "push asked again without --recheck"
[ "$(jq -r .sent.objects <<<"$(mlops push --recheck --json)")" = 1 ] || fail "push --recheck did not resend the deleted tree"
expect_code 0 "has everything" -- mlops remote status --exit-code
ok "push trusts its record of the remote; --recheck and remote status ask the remote"

node "$S3_SCRIPTS/interop.js" "$S3_ENDPOINT" mlops-test team/project .mlops/objects 2>"$E2E_TMP/interop.err" ||
    fail "the AWS SDK cannot read back what mlops pushed: $(cat "$E2E_TMP/interop.err")"
ok "@aws-sdk/client-s3 lists and reads back what mlops pushed, byte-identical"

cd "$E2E_TMP" && git clone -q origin clone && cd clone
expect_code 0 "" -- mlops pull
diff -r "$E2E_TMP/origin/data" data || fail "pulled data differs"
cmp "$E2E_TMP/origin/big.bin" big.bin || fail "pulled big.bin differs"
ok "clone elsewhere + pull from S3 gives byte-identical data"

cd "$E2E_TMP" && git clone -q origin partial && cd partial
expect_code 0 "" -- mlops pull data/b
[ -f data/b/r5.csv ] && [ ! -e data/a ] && [ ! -e big.bin ] || fail "partial pull fetched more than data/b"
ok "partial pull from S3"

checked=$(node "$S3_SCRIPTS/sign_check.js" "$MLOPS_S3_SIGN_LOG" S3RVER 2>&1) || fail "signatures differ: $checked"
for m in PUT GET POST; do grep -q "$m:" <<<"$checked" || fail "no $m request was checked: $checked"; done
ok "@smithy/signature-v4 computes the same signature for every request mlops sent ($checked)"

# ---- faults ----
cd "$E2E_TMP" && git clone -q origin faults && cd faults
AWS_SECRET_ACCESS_KEY=wrong AWS_ACCESS_KEY_ID=NOT-A-KEY expect_code 5 "remote 's3'.*403.*check the credentials" -- mlops fetch
grep -q NOT-A-KEY "$E2E_TMP/stderr" && fail "the error shows the access key"
mlops remote add nobucket s3://no-such-bucket/x
mlops remote modify nobucket endpoint "$S3_ENDPOINT"
expect_code 5 "remote 'nobucket'.*bucket 'no-such-bucket' does not exist" -- mlops fetch -r nobucket
mlops remote add down s3://mlops-test/x
mlops remote modify down endpoint "http://127.0.0.1:9" # discard port: nothing listens
expect_code 5 "remote 'down'.*gave up after 5 attempts" -- mlops fetch -r down
(
    unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY
    expect_code 5 "no S3 credentials for remote 's3'" -- mlops fetch -r s3
    mkdir -p "$HOME/.aws"
    printf '[team]\naws_access_key_id = S3RVER\naws_secret_access_key = S3RVER\n' >"$HOME/.aws/credentials"
    AWS_PROFILE=team expect_code 0 "" -- mlops fetch -r s3 data/b
    mlops remote modify s3 profile team
    expect_code 0 "" -- mlops fetch -r s3 data/b
    mlops remote modify s3 profile missing
    expect_code 5 "profile 'missing'" -- mlops fetch -r s3
    mlops remote modify s3 profile --unset
)
ok "wrong credentials, missing bucket, server down, no credentials: one-line errors naming the remote (exit 5)"

# A remote object whose content does not match its name.
oid=$(sed -n 's/^oid: //p' "$E2E_TMP/origin/big.bin.mlops")
stored=$(find "$E2E_TMP/s3data" -path "*${oid:0:2}/${oid:2}*" -name '*object' | head -1)
[ -n "$stored" ] || fail "cannot find big.bin's object in s3rver's folder"
cp "$stored" "$E2E_TMP/big.saved"
printf 'X' | dd of="$stored" bs=1 seek=12345 conv=notrunc status=none
cd "$E2E_TMP" && git clone -q origin corrupt && cd corrupt
expect_code 3 "remote 's3'.*big.bin.*corrupt" -- mlops pull big.bin
[ ! -e ".mlops/objects/${oid:0:2}/${oid:2}" ] || fail "corrupt object stored"
[ ! -e big.bin ] || fail "big.bin checked out from a corrupt object"
cp "$E2E_TMP/big.saved" "$stored"
expect_code 0 "" -- mlops pull big.bin
cmp big.bin "$E2E_TMP/origin/big.bin" || fail "big.bin differs after repair"
ok "a corrupt object on S3 is detected and never stored"

# Intermittent failures are retried; a multipart upload that fails is aborted and retried.
cd "$E2E_TMP/origin"
mlops remote add flaky s3://mlops-test/flaky
mlops remote modify flaky endpoint "$S3_ENDPOINT"
mlops remote modify flaky multipart_threshold 8M
MLOPS_REMOTE_FAULTS="every=4" expect_code 0 "" -- mlops push -r flaky
node "$S3_SCRIPTS/interop.js" "$S3_ENDPOINT" mlops-test flaky .mlops/objects >/dev/null || fail "flaky push left a bad remote"
ok "push completes through intermittent failures"

# kill -9 during push and pull; rerunning completes and nothing partial is visible.
mlops remote add killed s3://mlops-test/killed
mlops remote modify killed endpoint "$S3_ENDPOINT"
MLOPS_REMOTE_FAULTS="delay=30" "$MLOPS" push -q -r killed -j 2 &
pid=$!
sleep 0.5
kill -9 $pid 2>/dev/null || true
wait $pid 2>/dev/null || true
expect_code 0 "" -- mlops push -r killed
node "$S3_SCRIPTS/interop.js" "$S3_ENDPOINT" mlops-test killed .mlops/objects >/dev/null || fail "push after kill -9 left a bad remote"
git add -A && git commit -qm killed
cd "$E2E_TMP" && git clone -q origin killed-clone && cd killed-clone
MLOPS_REMOTE_FAULTS="delay=30" "$MLOPS" pull -q -r killed -j 2 &
pid=$!
sleep 0.5
kill -9 $pid 2>/dev/null || true
wait $pid 2>/dev/null || true
expect_code 0 "" -- mlops pull -r killed
diff -r "$E2E_TMP/origin/data" data && cmp big.bin "$E2E_TMP/origin/big.bin" || fail "pull after kill -9 differs"
expect_code 0 "" -- mlops fsck
ok "kill -9 in the middle of an S3 push and pull: rerunning completes"

# Run records and the registry travel through S3 too (listed under refs/).
cd "$E2E_TMP/origin"
printf 'stages:\n  make:\n    cmd: printf w > w.bin\n    outs: [w.bin]\n' > mlops.yaml
mlops run -q
mlops model register m w.bin --metric accuracy=0.9 -q
mlops model promote m 1 --to production -q
out=$(mlops push --json -r s3)
assert_eq "$(jq -c .records <<<"$out")" '{"registry":2,"runs":1}' "records listed on S3"
mlops push -q -v -r s3 2>"$E2E_TMP/push2.log"
! grep -Eq "(list|put|exists) " "$E2E_TMP/push2.log" || fail "a second push with records asked S3: $(cat "$E2E_TMP/push2.log")"
cd "$E2E_TMP/clone"
out=$(mlops fetch --json)
assert_eq "$(jq -c .records <<<"$out")" '{"registry":2,"runs":1}' "records fetched from S3"
assert_eq "$(mlops model show m@production --json | jq -r .version)" 1 "the registry arrived through S3"
expect_code 0 "" -- mlops fetch m@production
cmp "$(object_path "$(mlops model show m:1 --json | jq -r .model.oid)")" "$E2E_TMP/origin/w.bin" || fail "fetch NAME@ALIAS from S3"
ok "run records and the registry travel through S3"
finish
