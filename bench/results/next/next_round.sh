# The next session's first device call (prepared in the ninth session, 2026-12-07).
# main's kernel has not changed since round 34 (H200); round 35 (H100) ran compare.py only.
# Prepare here first (branches do not survive between sessions; patches on main do):
#   bash bench/gpu_trees.sh prepare main
#   rm -rf .variants/exp-trace && mkdir -p .variants/exp-trace &&
#     git archive main | tar x -C .variants/exp-trace &&
#     patch -p1 -d .variants/exp-trace < bench/results/next/trace.patch
# then run with carry [".variants", ".whl/nvidia_cutlass-4.2.0.0-py3-none-any.whl"]:
#   bash bench/results/next/next_round.sh trace  # ~4 min: main's GPU tests + sanitizers on
#       this card, and a per-tile trace (trace.patch, trace_analysis.py) of CogVideoX
#       keep 0.25 random / skewed and keep 1, Wan 480p keep 0.1: where the ~2 key tiles
#       of fixed cost a query tile go at D = 64, which on the H100 keep CogVideoX under
#       eff 0.95 at keep 0.25 and at 1.49-1.50x Flex (RESULTS.md, ninth session).
#   bash bench/results/next/next_round.sh loop   # ~3 min, after preparing .variants/loop-simple
#       the same way from 0018-producer-loop-simple.patch: its GPU tests and sanitizers,
#       then the C++ bench against main (main, loop-simple, main). Merge (git am the patch)
#       if it passes and is not slower: it only rewrites the producer loop (no spills).
set -u
export OUT
source bench/device_call.sh  # pack: everything under $OUT as one archive
if [ "${1:-}" = loop ]; then
  bash bench/gpu_trees.sh build .variants/main .variants/loop-simple
  grep -H "spill stores" $OUT/*/ptxas.txt | sort | uniq -c
  bash bench/gpu_trees.sh stages "test sanitize" .variants/loop-simple 2>&1 |
    grep -E "=====|passed|failed|FAILED|SUMMARY|rror|Timeout|timed out" | head -14
  export CBENCH_ARGS="--shapes 1x40x32760x128,1x48x17776x64 --keep 1,0.25,0.1 --mask random,skewed --iters 40 --adjacent-dense --decisions"
  bash bench/gpu_trees.sh cbench .variants/main .variants/loop-simple >/dev/null
  grep -v "none\*" $OUT/cbench.log
  pack
fi
if [ "${1:-}" = trace ]; then
  mkdir -p $OUT/trace
  tree=.variants/exp-trace
  # main first: gpu_trees.sh unpacks the wheel, which must not happen under another build
  # (round 32). The traced build then runs on the CPUs while the tests use the GPU.
  bash bench/gpu_trees.sh build .variants/main | tail -1
  ( cd $tree && cmake -S . -B build/tr -G Ninja -DCMAKE_BUILD_TYPE=Release \
      -DCUTLASS_DIR=/tmp/cutlass_whl/cutlass_library/source -DCMAKE_CUDA_FLAGS=-DLITEATTN_TRACE \
      -DPython3_EXECUTABLE=$(command -v python3) -Dpybind11_DIR=$(python3 -m pybind11 --cmakedir) \
      > $OUT/trace/cmake.log 2>&1 &&
    cmake --build build/tr -j 8 --target liteattn_bench > $OUT/trace/build.log 2>&1 ) &
  TRACE_BUILD=$!
  bash bench/gpu_trees.sh stages "test sanitize" .variants/main 2>&1 |
    grep -E "=====|passed|failed|FAILED|SUMMARY|rror|Timeout|timed out" | head -20
  if ! wait $TRACE_BUILD; then
    tail -20 $OUT/trace/cmake.log $OUT/trace/build.log 2>/dev/null
    pack; exit 1
  fi
  B=$tree/build/tr/bench/liteattn_bench
  # Every traced call syncs and writes its trace (the last one is kept), so no settling:
  # the analysis counts cycles, which the clock does not change.
  run() { name=$1; shift; LITEATTN_TRACE_FILE=$OUT/trace/$name.bin timeout 120 $B "$@" \
            --iters 3 --warmup 3 --settle-ms 0 > $OUT/trace/$name.txt 2>&1
          grep -E "^ +[0-9]+ +[0-9]+ |rror|failed" $OUT/trace/$name.txt | tail -2; }
  run c_r25 --shapes 1x48x17776x64 --keep 0.25 --mask random
  run c_s25 --shapes 1x48x17776x64 --keep 0.25 --mask skewed
  run c_r100 --shapes 1x48x17776x64 --keep 1 --mask random
  run w_r10 --shapes 1x40x32760x128 --keep 0.1 --mask random
  python3 bench/results/next/trace_analysis.py $OUT/trace/*.bin | tee $OUT/trace/summary.txt
  gzip $OUT/trace/*.bin
  pack
fi
