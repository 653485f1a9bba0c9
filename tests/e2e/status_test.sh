#!/usr/bin/env bash
# mlops status: unchanged, modified, missing and not_in_store paths; changes inside folders;
# --exit-code; --json; named paths; a touched file with the same content.
source "$(dirname "$0")/lib.sh"

new_repo status
expect_code 0 "Nothing tracked yet" -- mlops status --exit-code
mkdir -p data/sub
echo a > data/a.csv
echo b > data/sub/b.csv
echo c > data/c.csv
echo m > model.bin
mlops add -q data model.bin
expect_code 0 "up to date \(2 paths\)" -- mlops status --exit-code
ok "status of freshly added data is clean"

# A touched file (new mtime, same content) is unchanged, now and once the stat cache is refreshed.
touch data/a.csv model.bin
expect_code 0 "up to date" -- mlops status --exit-code
touch -d '1 hour ago' data/a.csv model.bin
expect_code 0 "up to date" -- mlops status --exit-code
expect_code 0 "up to date" -- mlops status --exit-code
ok "touch without a content change is unchanged"

# A file modified, then missing.
echo changed > model.bin
expect_code 1 "^model\.bin: modified" -- mlops status --exit-code
expect_code 0 "^model\.bin: modified" -- mlops status
rm model.bin
expect_code 1 "^model\.bin: missing$" -- mlops status --exit-code
mlops checkout -q model.bin
expect_code 0 "up to date" -- mlops status --exit-code
ok "file: modified, missing"

# The same content written back after a change is unchanged again, even within the same second.
cp model.bin "$E2E_TMP/model.keep"
echo other > model.bin
expect_code 1 "modified" -- mlops status --exit-code
cp "$E2E_TMP/model.keep" model.bin
expect_code 0 "up to date" -- mlops status --exit-code
ok "restored content is unchanged"

# Same size, same mtime, new content: the stat cache must still notice (ctime changed).
touch -d '2020-01-01 00:00:00' model.bin
expect_code 0 "up to date" -- mlops status --exit-code
expect_code 0 "up to date" -- mlops status --exit-code
echo n > model.bin
touch -d '2020-01-01 00:00:00' model.bin
expect_code 1 "^model\.bin: modified" -- mlops status --exit-code
cp "$E2E_TMP/model.keep" model.bin
ok "a same-size rewrite with the old mtime is noticed"

# Inside a folder: a file added, one removed, one modified, all listed.
echo new > data/sub/new.csv
rm data/c.csv
echo A > data/a.csv
run mlops status --exit-code
assert_eq "$RC" 1 "status --exit-code with a modified folder"
grep -q '^data: modified' <<<"$OUT" || fail "folder not reported modified: $OUT"
grep -qE '^\s+added:\s+data/sub/new\.csv$' <<<"$OUT" || fail "added file not listed: $OUT"
grep -qE '^\s+removed:\s+data/c\.csv$' <<<"$OUT" || fail "removed file not listed: $OUT"
grep -qE '^\s+modified:\s+data/a\.csv$' <<<"$OUT" || fail "modified file not listed: $OUT"
grep -q 'model.bin' <<<"$OUT" && fail "unchanged model.bin listed: $OUT"
ok "changes inside a folder"

# --json: the documented shape.
mlops status --json > "$E2E_TMP/status.json" || fail "status --json failed"
j=$(cat "$E2E_TMP/status.json")
assert_eq "$(json_get 'sorted(j.keys())' <<<"$j")" '["clean", "paths"]' "top-level keys"
assert_eq "$(json_get 'j["clean"]' <<<"$j")" false "clean"
assert_eq "$(json_get '[p["path"] for p in j["paths"]]' <<<"$j")" '["data", "model.bin"]' "paths"
assert_eq "$(json_get 'sorted(j["paths"][0].keys())' <<<"$j")" \
    '["actual_oid", "changes", "expected_oid", "kind", "path", "state"]' "path keys"
assert_eq "$(json_get '[j["paths"][0]["kind"], j["paths"][0]["state"]]' <<<"$j")" '["dir", "modified"]' "data state"
assert_eq "$(json_get 'j["paths"][0]["expected_oid"]' <<<"$j")" "$(oid_of data.mlops)" "expected_oid"
assert_eq "$(json_get 'j["paths"][0]["actual_oid"] != j["paths"][0]["expected_oid"]' <<<"$j")" true "actual_oid differs"
assert_eq "$(json_get 'sorted((c["path"], c["change"]) for c in j["paths"][0]["changes"])' <<<"$j")" \
    '[["data/a.csv", "modified"], ["data/c.csv", "removed"], ["data/sub/new.csv", "added"]]' "changes"
assert_eq "$(json_get '[(c["old_size"], c["new_size"]) for c in j["paths"][0]["changes"] if c["path"] == "data/c.csv"]' <<<"$j")" \
    '[[2, 0]]' "sizes of a removed file"
assert_eq "$(json_get '[j["paths"][1]["kind"], j["paths"][1]["state"], j["paths"][1]["changes"]]' <<<"$j")" \
    '["file", "unchanged", []]' "model.bin state"
rm -rf data
assert_eq "$(mlops status --json | json_get '[j["paths"][0]["state"], j["paths"][0]["actual_oid"]]')" \
    '["missing", null]' "a missing folder in json"
ok "--json shape"

# Named paths: the data path or its pointer file; only those are reported.
expect_code 0 "up to date \(1 path\)" -- mlops status --exit-code model.bin
expect_code 0 "up to date \(1 path\)" -- mlops status --exit-code model.bin.mlops
expect_code 1 "^data: missing" -- mlops status --exit-code data
assert_eq "$(mlops status --json model.bin | json_get '[p["path"] for p in j["paths"]]')" '["model.bin"]' "named path in json"
expect_code 2 "nothere: not tracked" -- mlops status nothere
ok "status with a named path"

# From a subfolder, paths are shown relative to it.
mlops checkout -q data
echo changed > model.bin
(
    cd data/sub
    expect_code 1 "^\.\./\.\./model\.bin: modified" -- mlops status --exit-code
    expect_code 1 "model\.bin: modified" -- mlops status --exit-code ../../model.bin
)
mlops checkout -q --force model.bin
ok "status from a subfolder"

# Missing, and its object gone from the store too: not_in_store.
rm model.bin
chmod u+w "$(object_path "$(oid_of model.bin.mlops)")"
rm "$(object_path "$(oid_of model.bin.mlops)")"
expect_code 1 "model\.bin: missing \(and not in the store\)" -- mlops status --exit-code
assert_eq "$(mlops status --json model.bin | json_get 'j["paths"][0]["state"]')" not_in_store "json state"
ok "not_in_store"
finish
