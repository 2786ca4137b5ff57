# The next session's first device call (prepared in the ninth session, 2026-12-07).
# main's kernel has not changed since round 34 (H200); round 35 (H100) ran compare.py only.
# Its `trace` mode became bench/results/round38/run_trace.sh (eleventh session; main's
# tests and sanitizers ran on an H100 in round 37, so that call only traces).
# Prepare here first (branches do not survive between sessions; patches on main do):
#   bash bench/gpu_trees.sh patched main
#   bash bench/gpu_trees.sh patched loop-simple 0018-producer-loop-simple.patch
# then run with carry [".variants", ".whl/nvidia_cutlass-4.2.0.0-py3-none-any.whl"]:
#   bash bench/results/next/next_round.sh loop   # ~3 min: loop-simple's GPU tests and sanitizers,
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
