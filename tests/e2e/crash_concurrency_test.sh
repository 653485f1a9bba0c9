#!/usr/bin/env bash
# Concurrency and crashes: two `mlops add` at once (different folders, the same folder), and
# `kill -9` in the middle of adding a large folder, at several moments. Afterwards the next add
# works, fsck is clean (every object's content matches its name) and gc removes the debris.
source "$(dirname "$0")/lib.sh"

# store_is_sound: every file under .mlops/objects/??/ is named by the SHA-256 of its content, and
# nothing else lives there (fsck proves the same; this does not trust mlops).
store_is_sound() {
    local bad
    bad=$(find .mlops/objects -mindepth 2 -type f -print0 | xargs -0 -r sha256sum |
        awk '{ n = split($2, p, "/"); if ($1 != p[n - 1] p[n]) print $2 }')
    [ -z "$bad" ] || fail "objects whose content does not match their name: $bad"
    [ -z "$(find .mlops/objects -mindepth 2 ! -type f)" ] || fail "non-files in the store"
    [ -z "$(find .mlops/objects -mindepth 1 -maxdepth 1 ! -name '??')" ] || fail "stray entries in .mlops/objects"
}

new_repo concurrent
for d in a b; do
    mkdir "$d"
    for i in $(seq 1 300); do echo "$d $i" > "$d/f$i.csv"; done
done

for round in 1 2 3; do
    rm -f a.mlops b.mlops .gitignore
    mlops add -q a & p1=$!
    mlops add -q b & p2=$!
    r1=0 r2=0
    wait $p1 || r1=$?
    wait $p2 || r2=$?
    assert_eq "$r1:$r2" 0:0 "round $round: exit codes of two concurrent adds"
    grep -qx 'files: 300' a.mlops && grep -qx 'files: 300' b.mlops || fail "round $round: pointer files are wrong"
    assert_eq "$(LC_ALL=C sort .gitignore | tr '\n' ' ')" "/a /b " "round $round: .gitignore"
    [ -z "$(find . -name '*.lock')" ] || fail "round $round: lock files left: $(find . -name '*.lock')"
done
expect_code 0 "0 corrupt, 0 missing" -- mlops fsck
expect_code 0 "up to date" -- mlops status --exit-code
store_is_sound
ok "two adds of different folders at once"

for round in 1 2 3; do
    echo "change $round" >> a/f1.csv
    mlops add -q a & p1=$!
    mlops add -q a & p2=$!
    r1=0 r2=0
    wait $p1 || r1=$?
    wait $p2 || r2=$?
    assert_eq "$r1:$r2" 0:0 "round $round: exit codes of two adds of the same folder"
    mlops status -q --exit-code a || fail "round $round: a is not clean after two adds"
    assert_eq "$(grep -cx '/a' .gitignore)" 1 "round $round: /a lines in .gitignore"
done
expect_code 0 "0 corrupt, 0 missing" -- mlops fsck
store_is_sound
ok "two adds of the same folder at once"

# An add and a gc at once: gc waits for the add (or the add for gc); nothing the add refers to is lost.
mkdir c
for i in $(seq 1 300); do echo "c $i" > "c/f$i.csv"; done
mlops add -q c & p1=$!
mlops gc -q & p2=$!
r1=0 r2=0
wait $p1 || r1=$?
wait $p2 || r2=$?
assert_eq "$r1:$r2" 0:0 "add and gc at once"
expect_code 0 "0 corrupt, 0 missing" -- mlops fsck
rm -rf c && mlops checkout -q c
expect_code 0 "up to date" -- mlops status --exit-code
ok "add and gc at once"

# kill -9 in the middle of adding a large folder, at several moments: after fixed delays (while it
# hashes and writes temporary files) and as soon as it starts publishing objects.
new_repo crash
mkdir big
for i in $(seq 1 2000); do echo "row $i" > "big/f$i.csv"; done
head -c "${E2E_BIG_MB:-200}M" /dev/urandom > big/huge.bin
for when in 0.05 0.3 0.6 1.0 publishing; do
    "$MLOPS" add -q big & pid=$! # the binary itself: killing a shell function would orphan it
    if [ "$when" = publishing ]; then
        while kill -0 "$pid" 2>/dev/null && [ -z "$(find .mlops/objects -mindepth 2 -type f -print -quit)" ]; do
            sleep 0.005
        done
    else
        sleep "$when"
    fi
    kill -9 "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    # Whatever was published is complete and named by its content; nothing refers to half of it.
    store_is_sound
    if [ -f big.mlops ]; then
        grep -qx 'files: 2001' big.mlops || fail "after kill ($when): a partial big.mlops: $(cat big.mlops)"
        mlops fsck -q || fail "after kill ($when): the pointer names objects fsck cannot verify"
        rm big.mlops # start the next round from scratch
    fi
    run mlops fsck
    assert_eq "$RC" 0 "fsck after kill ($when) (stderr: $ERR)"
    echo "killed ($when): $(count_objects) objects, $(find .mlops/tmp -type f | wc -l) temporary files"
done
# Objects published by a killed add that no pointer refers to are gc's to remove.
unreferenced=$(mlops --json gc --dry-run | json_get 'j["removed"]')
assert_eq "$unreferenced" "$(count_objects)" "every object in the store is unreferenced after the kills"
ok "kill -9 during add leaves only complete objects"

expect_code 0 "added big \(folder, 2001 files" -- mlops add big
expect_code 0 "0 corrupt, 0 missing" -- mlops fsck
expect_code 0 "up to date" -- mlops status --exit-code
store_is_sound
ok "the next add after the kills works"

# Killed while re-adding tracked data: the pointer file is the old one or the new one, never half.
old_oid=$(oid_of big.mlops)
for when in 0.01 0.05 0.1; do
    echo "one more row" >> big/f1.csv
    touch big/huge.bin # hashed again: more time in which to be killed
    "$MLOPS" add -q big & pid=$!
    sleep "$when"
    kill -9 "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    store_is_sound
    grep -qx 'files: 2001' big.mlops || fail "after kill ($when): big.mlops is broken: $(cat big.mlops)"
    run mlops status big
    assert_eq "$RC" 0 "status after kill ($when) (stderr: $ERR)"
    expect_code 0 "0 corrupt, 0 missing" -- mlops fsck
done
expect_code 0 "" -- mlops add -q big
[ "$(oid_of big.mlops)" != "$old_oid" ] || fail "big.mlops did not change"
expect_code 0 "up to date" -- mlops status --exit-code
ok "kill -9 during a re-add"

# Lock files left by a killed process (no live holder) do not block the next command.
echo "row" >> big/f2.csv
touch -d '1 minute ago' big.mlops.lock .gitignore.lock
echo "$$" > .mlops/config.lock
expect_code 0 "" -- mlops add -q big
[ -e big.mlops.lock ] || [ -e .gitignore.lock ] && fail "stale lock files were not removed"
expect_code 0 "" -- mlops config core.jobs 2
[ -e .mlops/config.lock ] && fail "the stale config lock was not removed"
ok "stale lock files are broken"

# gc removes every leftover temporary file.
tmp_before=$(find .mlops/tmp -type f | wc -l)
echo "left over" > .mlops/tmp/.tmp-1-00000000000000ff
j=$(mlops --json gc)
assert_eq "$(json_get 'j["temp_files_removed"] >= 1' <<<"$j")" true "gc temp_files_removed (had $tmp_before + 1)"
assert_eq "$(find .mlops/tmp -type f | wc -l | tr -d ' ')" 0 "temporary files after gc"
expect_code 0 "0 corrupt, 0 missing" -- mlops fsck
expect_code 0 "up to date" -- mlops status --exit-code
ok "gc removes leftover temporary files"
finish
