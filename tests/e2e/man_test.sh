#!/usr/bin/env bash
# Man pages: docs/man/ is exactly what this binary generates (so the pages never go stale), every
# page passes mandoc's linter and renders with man(1), and `cmake --install` puts them in
# share/man/man1 beside bin/mlops.
source "$(dirname "$0")/lib.sh"
: "${MLOPS_SOURCE_DIR:?set MLOPS_SOURCE_DIR to the project root (ctest does)}"
cd "$E2E_TMP"

mlops man --output pages > /dev/null
diff -r "$MLOPS_SOURCE_DIR/docs/man" pages > man.diff ||
    fail "docs/man is stale: regenerate it with \`mlops man --output docs/man\` (build/apps/mlops/mlops) and commit it: $(head -40 man.diff)"
n=$(ls pages | wc -l)
[ "$n" -gt 30 ] || fail "only $n pages"
for c in init add status push hooks completion metrics drift model; do
    [ -f "pages/mlops-$c.1" ] || fail "no page for $c"
done
[ ! -e pages/mlops-man.1 ] && [ ! -e pages/mlops-stage-exec.1 ] || fail "pages for hidden commands"
mlops man --output again > /dev/null
diff -r pages again > /dev/null || fail "two runs differ"
ok "docs/man is what mlops man generates ($n pages), and generating is deterministic"

if command -v mandoc > /dev/null; then
    for p in pages/*.1; do
        mandoc -T lint -W warning "$p" > lint.txt 2>&1 || fail "mandoc -T lint $p: $(cat lint.txt)"
    done
    ok "mandoc -T lint finds no warning in any page"
else
    [ "${CI:-}" = true ] && fail "mandoc is not installed (scripts/install-deps.sh installs it)"
    echo "skip - mandoc not installed"
fi

if command -v man > /dev/null; then
    MANWIDTH=100 man -l pages/mlops-metrics.1 2> render.err | col -b > metrics.txt || fail "man -l: $(cat render.err)"
    [ ! -s render.err ] || fail "man -l warnings: $(cat render.err)"
    grep -q "^NAME" metrics.txt || fail "no NAME section: $(head metrics.txt)"
    grep -q "mlops-metrics - Show and compare the pipeline's metrics" metrics.txt || fail "NAME line: $(head -5 metrics.txt)"
    grep -q -- "--format" metrics.txt || fail "options not rendered"
    grep -q "mlops metrics diff" metrics.txt || fail "subcommands not rendered"
    grep -q "integrity error" metrics.txt || fail "exit status not rendered"
    # Into a file, not straight into grep -q: with pipefail, grep quitting at its match kills col with
    # SIGPIPE and fails the pipeline now and then (it did in CI).
    MANWIDTH=100 man -l pages/mlops.1 2> /dev/null | col -b > mlops.txt || fail "man -l pages/mlops.1"
    grep -q "mlops hooks" mlops.txt || fail "mlops.1 does not list hooks: $(grep -n hooks mlops.txt)"
    ok "man -l renders the pages"
fi

# cmake --install: the binary and the pages.
build_dir=$(cd "$(dirname "$MLOPS")/../.." && pwd)
if [ -f "$build_dir/cmake_install.cmake" ]; then
    cmake --install "$build_dir" --prefix "$E2E_TMP/prefix" > install.log 2>&1 || fail "cmake --install: $(tail -5 install.log)"
    [ -x "$E2E_TMP/prefix/bin/mlops" ] || fail "bin/mlops not installed"
    [ -f "$E2E_TMP/prefix/share/man/man1/mlops-hooks.1" ] || fail "man pages not installed: $(ls -R "$E2E_TMP/prefix" | head)"
    diff -r "$MLOPS_SOURCE_DIR/docs/man" "$E2E_TMP/prefix/share/man/man1" > /dev/null || fail "installed pages differ"
    ok "cmake --install puts bin/mlops and share/man/man1/*.1"
fi
finish
