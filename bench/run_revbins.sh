#!/usr/bin/env bash
# The C++ benchmark of earlier revisions beside the current one, to tell a code
# regression from a slower machine. Two steps, so the device's time goes to timing only:
#
#   bash bench/run_revbins.sh build REV...   # here (nvcc + nvidia-cutlass): builds
#                                            # .revbin/bench_cur and .revbin/bench_r<REV>
#   bash bench/run_revbins.sh                # on the GPU machine, carrying .revbin:
#                                            # times them, interleaved, current first and
#                                            # last; results under $OUT
set -uo pipefail
OUT=${OUT:-$PWD/gpu_out}
shapes=${REV_SHAPES:-1x40x32760x128,1x48x17776x64}
# REV_ARGS: more bench options for every binary, e.g. "--keep 1,0.25 --mask skewed".
read -r -a more_args <<<"${REV_ARGS:-}"

build_bench() {  # source tree, binary name
  local dir=/tmp/liteattn_revbuild_$2
  cmake -S "$1" -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=Release \
    -DCUTLASS_DIR="$(python3 -c 'import cutlass_library, os; print(os.path.join(os.path.dirname(cutlass_library.__file__), "source"))')" \
    -DPython3_EXECUTABLE="$(command -v python3)" -Dpybind11_DIR="$(python3 -m pybind11 --cmakedir)" \
    >"$dir.log" 2>&1 &&
    cmake --build "$dir" --target liteattn_bench >>"$dir.log" 2>&1 &&
    cp "$dir/bench/liteattn_bench" ".revbin/$2" && echo "built .revbin/$2" ||
    { echo "$2: build failed, see $dir.log"; return 1; }
}

if [ "${1:-}" = build ]; then
  shift
  mkdir -p .revbin
  status=0
  build_bench . bench_cur || status=1
  for rev in "$@"; do
    src=$(mktemp -d)
    git archive "$rev" | tar x -C "$src" || { status=1; continue; }
    # Revisions up to 18860ad define the tile-order kernel in a header included by every
    # instantiation (a duplicate symbol at link time, fixed in 3d6457c): make it static.
    order=$src/include/liteattn/kernel/tile_order.cuh
    [ -f "$order" ] && sed -i 's/^__global__ void __launch_bounds__(kTileOrderThreads)/static &/' "$order"
    # Every binary times the same way: the current harness (bench_fwd.cu: settling, input
    # rotation) around the revision's kernel. A revision whose API the current harness
    # does not fit keeps its own harness, and the output says so.
    cp bench/bench_fwd.cu "$src/bench/bench_fwd.cu"
    if ! build_bench "$src" "bench_r$rev" 2>/dev/null; then
      git archive "$rev" bench/bench_fwd.cu | tar x -C "$src"
      echo "bench_r$rev: its own (older) harness: compare its times with care"
      build_bench "$src" "bench_r$rev" || status=1
    fi
  done
  exit $status
fi

mkdir -p "$OUT"
export LD_LIBRARY_PATH=/usr/local/cuda/lib64${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
shopt -s nullglob
revs=(.revbin/bench_r*)
[ -x .revbin/bench_cur ] && [ ${#revs[@]} -gt 0 ] || { echo "need .revbin/bench_cur and .revbin/bench_r* (run: $0 build REV...)"; exit 1; }
status=0
# REV_DECISIONS=1: each binary also with skip_out given (--decisions), right after.
source "$(dirname "$0")/bench_once.sh"
for bin in .revbin/bench_cur "${revs[@]}" .revbin/bench_cur; do
  for extra in "" ${REV_DECISIONS:+--decisions}; do
    bench_once "$OUT/revbins.log" "$bin${extra:+ $extra}" "$bin" --shapes "$shapes" --iters 50 \
      "${more_args[@]}" $extra || status=1
  done
done
exit $status
