#!/usr/bin/env bash
# Run records and the model registry travel through a remote (docs/remotes.md, "Runs and the
# registry"): a push lists them, a clone's fetch finds and indexes them, a model's bundle comes
# with `fetch NAME@ALIAS`, and two clones that promote at once are reconciled after a pull.
source "$(dirname "$0")/lib.sh"

new_repo origin
REMOTE="$E2E_TMP/remote-store"
mlops remote add -q team "$REMOTE"
echo "input data" > in.txt
mlops add -q in.txt --git-add
cat > mlops.yaml <<'YAML'
stages:
  make:
    cmd: printf 'weights v1' > model.bin && echo made
    outs: [model.bin]
  copy:
    cmd: cp in.txt copy.txt
    deps: [in.txt]
    outs: [copy.txt]
YAML
commit "pipeline"
mlops run -q
run_id=$(mlops runs list --stage make --json | jq -r '.runs[0].run_id')
copy_run=$(mlops runs list --stage copy --json | jq -r '.runs[0].run_id')
mlops model register m model.bin --metric accuracy=0.90 -q
printf 'weights v2' > model2.bin
mlops model register m model2.bin --metric accuracy=0.95 -q
mlops model promote m 1 --to production -q
commit "registered"

out=$(mlops push --json)
assert_eq "$(jq -c .records <<<"$out")" '{"registry":3,"runs":2}' "push lists 2 runs and 3 registry objects"
[ -f "$REMOTE/refs/runs/$(mlops runs list --json | jq -r '.runs[0].oid')" ] || fail "run listed on the remote"
out=$(mlops push --json)
assert_eq "$(jq -c .records <<<"$out")" '{"registry":0,"runs":0}' "a second push lists nothing new"
assert_eq "$(jq -r .sent.objects <<<"$out")" 0 "a second push sends nothing"
ok "push sends run records, logs, registry objects and registered models, and lists them"

cd "$E2E_TMP" && git clone -q origin clone && cd clone
mlops init -q 2>/dev/null || true
mlops remote add -q team "$REMOTE" 2>/dev/null || true
out=$(mlops fetch --json)
assert_eq "$(jq -c .records <<<"$out")" '{"registry":3,"runs":2}' "fetch indexes what the remote lists"
assert_eq "$(mlops runs list --stage make --json | jq -r '.runs[0].run_id')" "$run_id" "the run is here"
mlops runs show "$run_id" --log | grep -q "^made$" || fail "the run's log came along"
assert_eq "$(mlops model show m@production --json | jq -r .version)" 1 "the registry is here"
v1=$(mlops model show m:1 --json | jq -r .model.oid)
[ ! -e "$(object_path "$v1")" ] || fail "a model's bundle is not fetched unless asked for"
expect_code 0 "" -- mlops fetch m@production
cmp "$(object_path "$v1")" "$E2E_TMP/origin/model.bin" || fail "fetch NAME@ALIAS brings the model"
expect_code 2 "model m has no alias 'staging'" -- mlops fetch m@staging
# A fresh clone knows no registry yet: fetch NAME@ALIAS brings the registry first, then the model.
(cd "$E2E_TMP" && git clone -q origin fresh && cd fresh && mlops init -q 2>/dev/null || true
 cd "$E2E_TMP/fresh" && out=$(mlops fetch m@production --json) &&
 assert_eq "$(jq -r .records.registry <<<"$out")" 3 "registry fetched first" &&
 cmp "$(object_path "$v1")" "$E2E_TMP/origin/model.bin") || fail "fetch NAME@ALIAS in a fresh clone"
ok "a clone fetches runs and the registry; fetch NAME@ALIAS brings a model"

# --- reproduce in the clone fetches an input it lacks; a dirty run is flagged ------------------------
in_oid=$(oid_of in.txt.mlops)
chmod u+w "$(object_path "$in_oid")" && rm "$(object_path "$in_oid")"
expect_code 0 "fetched 1 missing input object from 'team'" -- mlops reproduce "$copy_run" --verify
[ -f "$(object_path "$in_oid")" ] || fail "the input is in the store now"
chmod u+w "$(object_path "$in_oid")" && rm "$(object_path "$in_oid")"
expect_code 2 "nowhere-such" -- mlops reproduce "$copy_run" --verify -r nowhere-such
mlops remote add -q empty "$E2E_TMP/empty-remote"
mlops remote default team
mkdir -p "$E2E_TMP/empty-remote"
expect_code 2 "input not in the store or on the remote: in.txt \(${in_oid:0:12}\)" -- mlops reproduce "$copy_run" -r empty
mlops pull -q in.txt
echo "# a local edit" >> mlops.yaml
mlops run -q --force copy
dirty_run=$(mlops runs list --stage copy --json | jq -r '.runs[0].run_id')
mlops runs show "$dirty_run" --json | jq -e '.code.dirty and (.code.dirty_files | index("mlops.yaml"))' > /dev/null || fail "the record names the dirty file"
expect_code 0 "was made from a work tree with uncommitted changes \(.*mlops.yaml\); reproduction cannot be promised" -- mlops reproduce "$dirty_run"
git checkout -q mlops.yaml
ok "reproduce fetches missing inputs from the remote, names those it cannot find, flags dirty runs"

# --- two people promote at once --------------------------------------------------------------
mlops model promote m 2 --to production -q            # clone: production -> 2
sleep 0.05
(cd "$E2E_TMP/origin" && mlops model alias m 1 production -q && mlops model promote m 2 --to staging -q)
cd "$E2E_TMP/origin"
# origin moved production after the clone did: origin's event is the latest.
mlops push -q
cd "$E2E_TMP/clone"
mlops push -q
out=$(mlops pull --json)
assert_eq "$(jq -r .records.registry <<<"$out")" 2 "the clone receives origin's two events"
jq -r '.conflicts[]' <<<"$out" | grep -q "alias production was moved concurrently" || fail "the conflict is reported: $out"
assert_eq "$(mlops model show m@production --json | jq -r .version)" 1 "the latest move wins"
assert_eq "$(mlops model show m@staging --json | jq -r .version)" 2 "a move nobody raced is kept"
assert_eq "$(mlops model show m --json | jq '[.events[] | select(.alias=="production")] | length')" 3 "no event is lost"
cd "$E2E_TMP/origin"
mlops pull -q 2>/dev/null
assert_eq "$(mlops model show m@production --json | jq -r .version)" 1 "both clones agree"
ok "concurrent promotions: every event kept, the latest wins, the conflict is reported"

# --- two clones register the same version number ----------------------------------------------
printf 'weights v3' > model3.bin && mlops model register m model3.bin -q
cd "$E2E_TMP/clone"
sleep 0.05
printf 'weights v3b' > model3b.bin && mlops model register m model3b.bin -q
mlops push -q
cd "$E2E_TMP/origin"
mlops push -q
out=$(mlops fetch --json)
jq -r '.conflicts[]' <<<"$out" | grep -q "version 3 was registered twice" || fail "renumbering reported: $out"
assert_eq "$(mlops model show m:3 --json | jq -r .source)" model3.bin "the earlier registration keeps its number"
assert_eq "$(mlops model show m:4 --json | jq -r .source)" model3b.bin "the later one gets the next"
ok "two registrations of the same number are renumbered deterministically"

# gc in a clone that holds records of outputs it never fetched keeps the records.
cd "$E2E_TMP/clone"
expect_code 0 "" -- mlops gc
mlops runs show "$run_id" --log | grep -q "^made$" || fail "gc kept the fetched run record and its log"
assert_eq "$(mlops model show m@production --json | jq -r .version)" 1 "gc kept the registry"
ok "gc keeps fetched records whose outputs are not here"

# --- --no-records and paths leave records alone -------------------------------------------------
out=$(mlops push --no-records --json)
assert_eq "$(jq -c .records <<<"$out")" '{"registry":0,"runs":0}' "--no-records"
finish
