# Ready for the next session's first device call(s): main, next/qdb-deferred (patches
# 0013-0014) and next/carry-pv (on qdb-deferred; D=128 only). Prepare here first:
#   bash bench/gpu_trees.sh prepare main next/qdb-deferred next/carry-pv
# then run with carry [".variants", ".whl/nvidia_cutlass-4.2.0.0-py3-none-any.whl"]:
#   bash bench/results/next/next_round.sh check   # ~6 min: build all three, GPU tests and
#                                                 # sanitizers on both branches, C++ bench
#   bash bench/results/next/next_round.sh compare TREE   # ~4 min: compare.py sparse rows
set -u
export OUT
if [ "${1:-}" = check ]; then
  python3 -m zipfile -e .whl/nvidia_cutlass-*.whl /tmp/cutlass_whl >/dev/null  # once, before the parallel builds
  bash bench/gpu_trees.sh build .variants/main .variants/next-qdb-deferred .variants/next-carry-pv
  grep -H -iE "spill stores" $OUT/*/ptxas.txt 2>/dev/null | sort | uniq -c
  bash bench/gpu_trees.sh stages "test" .variants/main 2>&1 | grep -E "=====|passed|failed|FAILED|rror" | head -8
  for t in next-qdb-deferred next-carry-pv; do
    bash bench/gpu_trees.sh stages "test sanitize" .variants/$t 2>&1 | grep -E "=====|passed|failed|FAILED|SUMMARY|rror|agreement" | head -12
  done
  nvidia-smi --query-gpu=timestamp,clocks.sm,power.draw,clocks_throttle_reasons.active --format=csv -lms 250 > $OUT/smi.csv &
  SMI=$!
  export CBENCH_ARGS="--shapes 1x40x32760x128,1x48x17776x64 --keep 1,0.25,0.1 --mask random,skewed --iters 50 --adjacent-dense"
  bash bench/gpu_trees.sh cbench .variants/main .variants/next-qdb-deferred .variants/next-carry-pv >/dev/null
  kill $SMI
  grep -v "none\*" $OUT/cbench.log
elif [ "${1:-}" = compare ]; then
  tree=.variants/${2:?name the tree}
  bash bench/gpu_trees.sh build "$tree" | tail -1
  (cd "$tree" && PYTHONPATH=python timeout 280 python3 bench/compare.py --sections sparse --keep 0.25,0.1 \
    --repeats 40 --max-seconds 3 --settle-seconds 0.3 --condition-seconds 0.3 \
    --sparse-shapes 1x40x32760x128,1x48x17776x64 --json $OUT/compare.json > $OUT/compare.log 2>&1)
  grep -E "^ +(random|skewed)|flex ms" $OUT/compare.log
fi
cd $OUT && tar czf /tmp/all.tgz . && rm -rf ./* && mv /tmp/all.tgz . && ls
