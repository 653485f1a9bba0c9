#!/usr/bin/env bash
# mlops config: set/get/unset/--list at the repository, --local and --global levels; validation of
# known keys; a malformed file is reported with its file and line.
source "$(dirname "$0")/lib.sh"

new_repo config
global_file="$HOME/.config/mlops/config"

# Repository level (the default): .mlops/config.
expect_code 0 "" -- mlops config core.jobs 4
grep -qE '^\s*jobs = 4$' .mlops/config || fail ".mlops/config lacks jobs = 4: $(cat .mlops/config)"
assert_eq "$(mlops config core.jobs)" 4 "core.jobs"
assert_eq "$(mlops --json config core.jobs | json_get '[j["key"], j["value"]]')" '["core.jobs", "4"]' "config --json get"
assert_eq "$(mlops --json config core.jobs 3 | json_get '[j["value"], j["file"]]')" \
    "[\"3\", \"$PWD/.mlops/config\"]" "config --json set"
expect_code 0 "" -- mlops config core.jobs 4
ok "repository level"

# --local overrides the repository file and lives in .mlops/config.local.
mlops config --local core.jobs 2
grep -qE '^\s*jobs = 2$' .mlops/config.local || fail ".mlops/config.local lacks jobs = 2"
grep -qE 'jobs = 2' .mlops/config && fail "--local wrote to .mlops/config"
assert_eq "$(mlops config core.jobs)" 2 "effective core.jobs"
assert_eq "$(mlops config --local core.jobs)" 2 "--local core.jobs"
ok "--local level"

# --global: ~/.config/mlops/config (HOME is private to this test), or MLOPS_CONFIG_GLOBAL.
mlops config --global core.progress false
grep -qE '^\s*progress = false$' "$global_file" || fail "$global_file lacks progress = false"
assert_eq "$(mlops config --global core.progress)" false "--global core.progress"
assert_eq "$(mlops config core.progress)" false "the global value is seen in the repository"
mlops config --global core.jobs 9
assert_eq "$(mlops config core.jobs)" 2 "the local value wins over the global one"
(cd "$E2E_TMP" && assert_eq "$(mlops config --global core.jobs)" 9 "--global works outside a repository")
MLOPS_CONFIG_GLOBAL="$E2E_TMP/other-global" mlops config --global cache.type copy
grep -qE '^\s*type = copy$' "$E2E_TMP/other-global" || fail "MLOPS_CONFIG_GLOBAL was not used"
grep -q 'type' "$global_file" && fail "MLOPS_CONFIG_GLOBAL set, but ~/.config/mlops/config was written"
assert_eq "$(MLOPS_CONFIG_GLOBAL="$E2E_TMP/other-global" mlops config --global cache.type)" copy "MLOPS_CONFIG_GLOBAL get"
ok "--global level"

# --list at each level.
mlops config remote.origin.url /srv/store
list=$(mlops config --list)
grep -qx 'core.jobs=2' <<<"$list" || fail "--list: core.jobs is not the effective 2: $list"
grep -qx 'core.progress=false' <<<"$list" || fail "--list lacks the global core.progress: $list"
grep -qx 'remote.origin.url=/srv/store' <<<"$list" || fail "--list lacks remote.origin.url: $list"
assert_eq "$(printf '%s\n' "$list" | grep -c '^core.jobs=')" 1 "core.jobs listed once"
assert_eq "$(mlops config --global --list | LC_ALL=C sort | tr '\n' ' ')" "core.jobs=9 core.progress=false " "--global --list"
assert_eq "$(mlops config --local --list | tr '\n' ' ')" "core.jobs=2 " "--local --list shows only the local file"
assert_eq "$(mlops --json config --list | json_get 'j["core.jobs"]')" 2 "--list --json"
ok "--list"

# --unset; a key that is not set: exit 1, nothing printed.
expect_code 0 "" -- mlops config --local --unset core.jobs
assert_eq "$(mlops config core.jobs)" 4 "core.jobs after --local --unset"
expect_code 0 "" -- mlops config --global --unset core.jobs
expect_code 1 "" -- mlops config --unset core.nothing
expect_code 1 "" -- mlops config --global --unset core.nothing
run mlops config core.nothing
assert_eq "$RC:$OUT" "1:" "get of an unset key"
assert_eq "$(mlops --json config core.nothing | json_get 'j["value"]' || true)" null "--json value of an unset key"
ok "--unset, and unset keys"

# Values that need quoting survive a round trip.
mlops config remote.origin.url 'file:///srv/a b#c;d "e" \f'
assert_eq "$(mlops config remote.origin.url)" 'file:///srv/a b#c;d "e" \f' "quoted value"
ok "values with special characters"

# Known sections are checked: unknown keys suggest the closest, bad values are refused.
expect_rejected 2 "unknown config key 'core.jbos' \(did you mean 'core.jobs'\?\)" -- mlops config core.jbos 3
expect_rejected 2 "unknown config key 'cache.tipe' \(did you mean 'cache.type'\?\)" -- mlops config cache.tipe copy
expect_rejected 2 "core.jobs takes a whole number, not 'many'" -- mlops config core.jobs many
expect_rejected 2 "core.jobs takes a whole number, not '-1'" -- mlops config core.jobs -- -1
expect_rejected 2 "core.progress takes true or false, not 'maybe'" -- mlops config core.progress maybe
expect_rejected 2 "'zerocopy' is not a link type" -- mlops config cache.type reflink,zerocopy
expect_rejected 2 "needs a section" -- mlops config jobs 3
expect_rejected 2 "is malformed" -- mlops config 'core.bad key' 3
expect_code 2 "config needs a KEY" -- mlops config
ok "validation"

# A malformed file is reported with file and line, by config and by every command that reads it.
cp .mlops/config "$E2E_TMP/config.keep"
printf '[core]\n\tjobs = 2\n[cache\n' >> .mlops/config
line=$(wc -l < .mlops/config)
expect_code 2 "\.mlops/config:$line: section header must end with '\]'" -- mlops config core.jobs
expect_code 2 "\.mlops/config:$line:" -- mlops status
expect_code 2 "\.mlops/config:$line:" -- mlops config core.jobs 5
cp "$E2E_TMP/config.keep" .mlops/config
printf 'jobs = 1\n' > .mlops/config.local
expect_code 2 "config\.local:1: key outside of any \[section\]" -- mlops status
printf '[core]\n\tjobs = "unterminated\n' > .mlops/config.local
expect_code 2 "config\.local:2: unterminated quoted value" -- mlops config --list
rm .mlops/config.local
mlops config --unset core.jobs
printf '[core]\n\tjobs = lots\n' > "$global_file"
expect_code 2 "config: core\.jobs = 'lots' is not a whole number" -- mlops status
rm "$global_file"
printf '[cache]\n\ttype = teleport\n' > .mlops/config.local
mkdir d && echo x > d/x
expect_rejected 2 "config\.local: cache\.type: 'teleport' is not a link type" -- mlops add d
rm .mlops/config.local
expect_code 0 "" -- mlops status
ok "malformed files name file and line"
finish
