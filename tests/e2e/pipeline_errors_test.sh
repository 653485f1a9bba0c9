#!/usr/bin/env bash
# Bad pipeline files: one line naming file, line and column, exit 2, nothing run.
source "$(dirname "$0")/lib.sh"

new_repo bad
printf 'train:\n  lr: 0.1\n' > params.yaml
echo x > input.csv
bad() { # bad PATTERN: the current mlops.yaml must be rejected with PATTERN and nothing run
    rm -f ran.marker
    expect_code 2 "$1" -- mlops run
    expect_code 2 "$1" -- mlops dag
    [ ! -e ran.marker ] || fail "a stage ran although the pipeline is invalid"
    [ ! -e mlops.lock ] || fail "mlops.lock written for an invalid pipeline"
}

printf 'stages:\n  a:\n    cmd: [unclosed\n' > mlops.yaml
bad "^mlops: error: mlops.yaml:[0-9]+:[0-9]+: invalid YAML"
ok "invalid YAML"

printf 'stages:\n  a:\n    cmd: touch ran.marker\n    outz: [x]\n' > mlops.yaml
bad "mlops.yaml:4:5: unknown stage key 'outz' \(did you mean 'outs'\?\)"
ok "unknown key suggests the closest"

cat > mlops.yaml <<'YAML'
stages:
  a:
    cmd: touch ran.marker; cat c.out > a.out
    deps: [c.out]
    outs: [a.out]
  b:
    cmd: cat a.out > b.out
    deps: [a.out]
    outs: [b.out]
  c:
    cmd: cat b.out > c.out
    deps: [b.out]
    outs: [c.out]
YAML
bad "the stages form a cycle: (a -> b -> c -> a|b -> c -> a -> b|c -> a -> b -> c)"
ok "a cycle names its stages"

printf 'stages:\n  a:\n    cmd: touch ran.marker o\n    outs: [o]\n  b:\n    cmd: touch o\n    outs: [o]\n' > mlops.yaml
bad "mlops.yaml:7:12: output 'o' of stage 'b' overlaps output 'o' of stage 'a'"
ok "two stages writing one output"

printf 'stages:\n  a:\n    cmd: touch ran.marker\n    deps: [input.csv]\n    outs: [input.csv]\n' > mlops.yaml
bad "'input.csv' is both a dependency and an output of stage 'a'"
ok "an output that is also a dep"

printf 'stages:\n  a:\n    cmd: touch ran.marker\n    deps: [nowhere.csv]\n' > mlops.yaml
bad "mlops.yaml:4:12: dependency 'nowhere.csv' of stage 'a' does not exist and no stage outputs it"
ok "a missing dependency"

printf 'stages:\n  a:\n    cmd: touch ran.marker\n    outs: [../escape.txt]\n' > mlops.yaml
bad "mlops.yaml:4:12: output path '../escape.txt' is outside the repository"
ok "an output outside the repository"

printf 'stages:\n  a:\n    cmd: touch ran.marker\n    params: [train.momentum]\n' > mlops.yaml
bad "mlops.yaml:4:14: params key 'train.momentum' is not in params.yaml"
ok "a missing params key"

printf 'stages:\n  a:\n    cmd: echo ${nope} && touch ran.marker\n' > mlops.yaml
bad "mlops.yaml:3:10: undefined variable \\$\\{nope\\}"
ok "an undefined variable"

printf 'stages:\n  a:\n    cmd: touch ran.marker\n' > mlops.yaml
expect_code 2 "no stage named 'b'" -- mlops run b
expect_code 2 "did you mean 'a'" -- mlops run aa
ok "an unknown stage name"

rm mlops.yaml
expect_code 2 "mlops.yaml: no pipeline file" -- mlops run
ok "no pipeline file"
finish
