#!/usr/bin/env bash
# mlops completion bash, loaded into a real bash: commands, subcommands, options, fixed values,
# and the stage, remote and model names of the repository, by calling the completion function with
# COMP_WORDS/COMP_CWORD set as bash sets them.
source "$(dirname "$0")/lib.sh"
export PATH="$(cd "$(dirname "$MLOPS")" && pwd):$PATH"

new_repo comp
cat > mlops.yaml <<'YAML'
stages:
  prepare:
    cmd: echo a > a.txt
    outs: [a.txt]
  train:
    foreach: [small, large]
    do:
      cmd: echo ${item} > ${item}.txt
      outs: ["${item}.txt"]
YAML
mlops remote add -q backup "$E2E_TMP/backup"
mlops remote add -q archive "$E2E_TMP/archive"
mkdir model && echo w > model/weights.bin
mlops model register -q churn model > /dev/null
mlops completion bash > completion.bash
bash -n completion.bash || fail "the script does not parse"

# complete_words WORD...: the completions bash would offer for the command line WORD... (the last
# word is the one being completed), one per line, sorted.
complete_words() {
    bash -c '
        source completion.bash
        COMP_WORDS=("$@")
        COMP_CWORD=$(($# - 1))
        COMP_LINE="$*"
        COMP_POINT=${#COMP_LINE}
        _mlops
        printf "%s\n" "${COMPREPLY[@]}" | LC_ALL=C sort
    ' bash "$@"
}
has() { # has WORD LIST WHAT
    grep -qx -- "$1" <<<"$2" || fail "$3: '$1' not offered; got: $(tr '\n' ' ' <<<"$2")"
}
lacks() {
    ! grep -qx -- "$1" <<<"$2" || fail "$3: '$1' offered; got: $(tr '\n' ' ' <<<"$2")"
}

bash -c 'source completion.bash; complete -p mlops' | grep -q -- '-F _mlops mlops' || fail "complete -p mlops"
ok "the script parses and registers _mlops"

out=$(complete_words mlops "")
for c in init add status push pull run metrics drift hooks completion model; do has "$c" "$out" "commands"; done
lacks "stage-exec" "$out" "hidden commands"
lacks "man" "$out" "hidden commands"
out=$(complete_words mlops me)
assert_eq "$out" "metrics" "prefix"
out=$(complete_words mlops metrics "")
assert_eq "$(tr '\n' ' ' <<<"$out")" "diff show " "subcommands"
out=$(complete_words mlops hooks "")
for c in install uninstall run check; do has "$c" "$out" "hooks subcommands"; done
ok "commands and subcommands, hidden ones left out"

out=$(complete_words mlops metrics diff --)
for o in --format --all --exit-code --runs --file --help --json --quiet; do has "$o" "$out" "metrics diff options"; done
out=$(complete_words mlops hooks install --p)
assert_eq "$(tr '\n' ' ' <<<"$out")" "--post-checkout --post-merge --pre-commit --pre-push " "hooks install options"
out=$(complete_words mlops metrics diff --format "")
assert_eq "$(tr '\n' ' ' <<<"$out")" "md table " "--format values"
out=$(complete_words mlops dag --format m)
assert_eq "$out" "mermaid" "dag --format values"
out=$(complete_words mlops hooks run "")
assert_eq "$(tr '\n' ' ' <<<"$out")" "post-checkout post-merge pre-commit pre-push " "hook names"
ok "options and their fixed values"

out=$(complete_words mlops run "")
assert_eq "$(tr '\n' ' ' <<<"$out")" "prepare train@large train@small " "stage names"
out=$(complete_words mlops run prepare t)
assert_eq "$(tr '\n' ' ' <<<"$out")" "train@large train@small " "second stage name"
out=$(complete_words mlops push -r "")
assert_eq "$(tr '\n' ' ' <<<"$out")" "archive backup " "remote names after -r"
out=$(complete_words mlops -q pull --remote b)
assert_eq "$out" "backup" "remote names after --remote, global option before the command"
out=$(complete_words mlops remote remove "")
assert_eq "$(tr '\n' ' ' <<<"$out")" "archive backup " "remote remove"
out=$(complete_words mlops model show "")
assert_eq "$out" "churn" "model names"
out=$(complete_words mlops serve c)
assert_eq "$out" "churn" "serve model names"
ok "stage, remote and model names come from the repository"

# A value option is skipped when finding the command path; files are the fallback for paths.
out=$(complete_words mlops -C . add mo)
has "model" "$out" "files for add"
out=$(complete_words mlops completion "")
has "bash" "$out" "completion shell"
has "values" "$out" "completion values"
expect_code 0 "" -- mlops completion values stages
assert_eq "$(mlops completion values remotes | tr '\n' ' ')" "backup archive " "values remotes"
expect_code 2 "completion: name the shell" -- mlops completion
expect_code 2 "zsh" -- mlops completion zsh
ok "paths fall back to files; completion's own errors are one line"
finish
