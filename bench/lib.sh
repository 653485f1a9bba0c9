# Sourced by the bench scripts, after `cd` to the repository root and `root=$(pwd)`.

# bench_build TARGET...: builds TARGET... (CMake targets) as Release in $BUILD (default
# build-bench), configuring it first, so a fresh checkout works. MLOPS becomes that build's mlops
# unless the caller set MLOPS (then `mlops` is not built; any other target still is). BENCH_BUILT
# says which, for the report.
bench_build() {
    BUILD=${BUILD:-build-bench}
    local targets=() t
    if [ -n "${MLOPS:-}" ]; then
        BENCH_BUILT=" (given in \$MLOPS)"
        for t in "$@"; do [ "$t" = mlops ] || targets+=("$t"); done
    else
        BENCH_BUILT=" (Release, built by this script)"
        targets=("$@")
        MLOPS="$root/$BUILD/apps/mlops/mlops"
    fi
    [ ${#targets[@]} -gt 0 ] || return 0
    cmake -S "$root" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
    cmake --build "$BUILD" --target "${targets[@]}" -j 2 >/dev/null
}
