#!/usr/bin/env bash
# Remotes on a local folder: push, clone elsewhere and pull byte-identical data, partial pull,
# nothing sent twice, bad input, corrupt remote objects, flaky networks and kill -9.
source "$(dirname "$0")/lib.sh"

# A file whose content hashes to its name, for every object under a store-like folder.
check_objects_valid() {
    local dir=$1 f name
    [ -d "$dir" ] || return 0
    while IFS= read -r f; do
        name="$(basename "$(dirname "$f")")$(basename "$f")"
        [ "$(sha256sum <"$f" | cut -c1-64)" = "$name" ] || fail "$f does not hash to its name"
    done < <(find "$dir" -path '*/.tmp' -prune -o -type f -print)
}

new_repo origin
mkdir -p data/train data/test
for i in $(seq 1 40); do head -c $((i * 97)) /dev/urandom >"data/train/f$i.bin"; done
for i in $(seq 1 10); do echo "test $i" >"data/test/t$i.csv"; done
head -c 300000 /dev/urandom >model.bin
mlops add -q data model.bin
REMOTE="$E2E_TMP/remote-store"
expect_code 0 "Added remote 'backup'" -- mlops remote add backup "$REMOTE"
git add -A && git commit -qm "data and remote"
ok "remote add"

expect_code 0 "" -- mlops push --json
out=$(mlops push --json)
[ "$(jq -r .sent.objects <<<"$out")" = 0 ] || fail "second push sent something: $out"
[ "$(jq -r .skipped.objects <<<"$out")" = 52 ] || fail "second push did not see 52 objects: $out"
check_objects_valid "$REMOTE"
[ -z "$(find "$REMOTE/.tmp" -type f)" ] || fail "temporary files left on the remote"
ok "push sends 52 objects once; a second push sends nothing"

cd "$E2E_TMP" && git clone -q origin clone && cd clone
out=$(mlops pull --json)
[ "$(jq -r .received.objects <<<"$out")" = 52 ] || fail "pull received: $out"
diff -r "$E2E_TMP/origin/data" data || fail "pulled data differs"
cmp "$E2E_TMP/origin/model.bin" model.bin || fail "pulled model differs"
expect_code 0 "up to date" -- mlops status --exit-code
ok "clone elsewhere + pull gives byte-identical data"

# A folder remote on the same filesystem: fetch hardlinks its objects (like git clone of a path);
# the work tree gets copies, never links to the store.
oid=$(oid_of model.bin.mlops)
[ "$(stat -c %i "$(object_path "$oid")")" = "$(stat -c %i "$REMOTE/${oid:0:2}/${oid:2}")" ] || fail "fetch did not hardlink the remote's object"
[ "$(stat -c %h model.bin)" = 1 ] || fail "the work tree's model.bin is a link"
cd "$E2E_TMP" && git clone -q origin clone-copy && cd clone-copy
mlops remote modify backup hardlinks false
expect_code 0 "" -- mlops pull
[ "$(stat -c %h "$(object_path "$oid")")" = 1 ] || fail "hardlinks false still linked"
cmp "$E2E_TMP/origin/model.bin" model.bin || fail "pulled model differs (hardlinks false)"
expect_code 2 "hardlinks" -- mlops remote modify backup hardlinks perhaps
ok "fetch from a folder hardlinks objects; remote.NAME.hardlinks false copies them"

# pull's checkout skips hashing only what its own fetch has just verified: an object that was in
# the store already is verified as it is read, so a damaged one is never checked out.
rm model.bin
chmod u+w "$(object_path "$oid")"
printf 'X' | dd of="$(object_path "$oid")" bs=1 seek=1000 conv=notrunc status=none
expect_code 3 "model.bin.*corrupt" -- mlops pull
[ ! -e model.bin ] || fail "model.bin checked out from a corrupt local object"
rm -f "$(object_path "$oid")"
expect_code 0 "" -- mlops pull
cmp "$E2E_TMP/origin/model.bin" model.bin || fail "model.bin differs after fetching it again"
diff -r "$E2E_TMP/origin/data" data || fail "data differs after pull"
ok "pull verifies objects its fetch did not bring: a damaged local object is never checked out"

cd "$E2E_TMP" && git clone -q origin partial && cd partial
expect_code 0 "" -- mlops pull data/test
[ -f data/test/t3.csv ] || fail "partial pull did not write data/test"
[ ! -e data/train ] || fail "partial pull wrote data/train"
[ ! -e model.bin ] || fail "partial pull wrote model.bin"
n=$(find .mlops/objects -type f | wc -l)
[ "$n" = 11 ] || fail "partial pull stored $n objects, expected 11 (tree + 10 files)"
expect_code 0 "" -- mlops pull
diff -r "$E2E_TMP/origin/data" data || fail "full pull after partial pull differs"
ok "partial pull of one subfolder fetches only that part"

cd "$E2E_TMP/origin"
echo new >data/test/t11.csv
mlops add -q data
expect_code 1 "missing on 'backup'" -- mlops status --remote --exit-code
out=$(mlops remote status --json)
[ "$(jq -r '.paths[] | select(.path=="data") | .missing_on_remote' <<<"$out")" = 2 ] || fail "remote status: $out"
expect_code 0 "" -- mlops push
expect_code 0 "has everything" -- mlops status --remote --exit-code
ok "status --remote lists what the remote lacks"

# ---- bad input ----
expect_code 2 "remote 'nope' does not exist" -- mlops push -r nope
expect_code 2 "malformed remote URL" -- mlops remote add broken "s3://"
expect_code 2 "not a valid bucket name" -- mlops remote add broken "s3://UPPER_case"
expect_code 2 "unsupported remote URL scheme 'ftp'" -- mlops remote add broken "ftp://host/x"
expect_code 2 "already exists" -- mlops remote add backup /elsewhere
expect_code 2 "did you mean 'region'" -- mlops remote modify backup regoin eu-west-1
expect_code 2 "not tracked" -- mlops push no/such/path
mlops remote add gone "$E2E_TMP/does-not-exist"
git add -A && git commit -qm gone && git clone -q . "$E2E_TMP/gone-clone"
(cd "$E2E_TMP/gone-clone" && expect_code 5 "remote 'gone'.*does not exist" -- mlops fetch -r gone)
ok "unknown remote, malformed URL, bad setting, missing folder: one-line errors"

# ---- remote management, secrets ----
expect_code 0 "" -- mlops remote modify backup secret_access_key VERY-SECRET-VALUE
grep -q VERY-SECRET .mlops/config && fail "secret written to the committed config"
grep -q VERY-SECRET .mlops/config.local || fail "secret not in config.local"
for cmd in "config --list" "remote list -v" "config remote.backup.secret_access_key" "remote list --json" "config --list --json"; do
    # shellcheck disable=SC2086
    grep -q VERY-SECRET <<<"$(mlops $cmd 2>&1)" && fail "mlops $cmd shows the secret"
done
mlops config remote.backup.session_token TOKEN-SECRET
grep -q TOKEN-SECRET .mlops/config && fail "config wrote a secret to the committed file"
expect_code 0 "" -- mlops remote default backup
[ "$(mlops config core.remote)" = backup ] || fail "remote default did not set core.remote"
expect_code 0 "" -- mlops remote remove gone
grep -q gone <<<"$(mlops remote list)" && fail "removed remote still listed"
grep -q '"gone"' .mlops/config && fail "empty [remote \"gone\"] section left behind"
ok "remote list/default/modify/remove; secrets stay in config.local and are never shown"

# ---- a corrupt object on the remote ----
cd "$E2E_TMP/origin"
git add -A && git commit -qm "default remote"
victim=$(sed -n 's/^oid: //p' model.bin.mlops)
vpath="$REMOTE/${victim:0:2}/${victim:2}"
chmod u+w "$vpath"
printf 'X' | dd of="$vpath" bs=1 seek=1000 conv=notrunc status=none
cd "$E2E_TMP" && git clone -q origin corrupt && cd corrupt
expect_code 3 "remote 'backup'.*model.bin.*corrupt" -- mlops pull
[ ! -e ".mlops/objects/${victim:0:2}/${victim:2}" ] || fail "the corrupt object was stored"
[ ! -e model.bin ] || fail "model.bin checked out from a corrupt object"
[ -z "$(find .mlops/tmp -type f 2>/dev/null)" ] || fail "temporary download left behind"
# Repair the remote from the origin (push only sends what the remote lacks, so remove it first).
rm -f "$vpath"
(cd "$E2E_TMP/origin" && mlops push -q)
expect_code 0 "" -- mlops pull
cmp "$E2E_TMP/origin/model.bin" model.bin || fail "model.bin differs after repair"
ok "a remote object whose content does not match its name is detected and never stored"

# ---- flaky network: transient failures are retried ----
export MLOPS_REMOTE_RETRY_BASE_MS=1
cd "$E2E_TMP/origin"
mlops remote add flaky "$E2E_TMP/flaky-store"
# One job: with several, the shared call counter of the fault plan can hit one object's retries
# every time (five failed attempts are a correct "gave up", but not what this test is about).
MLOPS_REMOTE_FAULTS="every=3" expect_code 0 "" -- mlops push -r flaky -j 1
check_objects_valid "$E2E_TMP/flaky-store"
[ "$(find "$E2E_TMP/flaky-store" -type f -not -path '*/.tmp/*' | wc -l)" = 53 ] || fail "flaky push incomplete"
git add -A && git commit -qm flaky
cd "$E2E_TMP" && git clone -q origin flaky-clone && cd flaky-clone
MLOPS_REMOTE_FAULTS="every=2,drop" expect_code 0 "" -- mlops pull -r flaky -j 1
diff -r "$E2E_TMP/origin/data" data || fail "data pulled through a flaky network differs"
MLOPS_REMOTE_FAULTS="corrupt=flip,corrupt_count=3" expect_code 0 "" -- mlops fetch -r flaky -j 1
check_objects_valid "$E2E_TMP/flaky-store"
ok "intermittent failures, dropped connections and bit flips in transit are retried"
MLOPS_REMOTE_FAULTS="always" expect_code 5 "remote 'flaky'.*gave up after 5 attempts" -- mlops push -r flaky
ok "a remote that stays down: error after the retries"

# ---- kill -9 during push and pull ----
cd "$E2E_TMP/origin"
mlops remote add killed "$E2E_TMP/killed-store"
# The binary itself in the background (not the `mlops` function), so that kill -9 hits it.
MLOPS_REMOTE_FAULTS="delay=20" "$MLOPS" push -q -r killed -j 2 &
pid=$!
sleep 0.3
kill -9 $pid 2>/dev/null || true
wait $pid 2>/dev/null || true
check_objects_valid "$E2E_TMP/killed-store"
expect_code 0 "" -- mlops push -r killed
check_objects_valid "$E2E_TMP/killed-store"
[ "$(jq -r .sent.objects <<<"$(mlops push -r killed --json)")" = 0 ] || fail "push after kill -9 incomplete"
git add -A && git commit -qm killed
cd "$E2E_TMP" && git clone -q origin killed-clone && cd killed-clone
MLOPS_REMOTE_FAULTS="delay=20" "$MLOPS" pull -q -r killed -j 2 &
pid=$!
sleep 0.3
kill -9 $pid 2>/dev/null || true
wait $pid 2>/dev/null || true
check_objects_valid .mlops/objects
expect_code 0 "" -- mlops pull -r killed
diff -r "$E2E_TMP/origin/data" data || fail "pull after kill -9 differs"
expect_code 0 "" -- mlops fsck
ok "kill -9 in the middle of push and pull: rerunning completes, no partial or unverified object"
finish
