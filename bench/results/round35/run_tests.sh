# Round 35, second call: main's GPU tests and compute-sanitizer (memcheck, racecheck,
# synccheck) on the H100 the first call got (earlier rounds ran on H200s), then the C++
# bench without decisions as a second opinion on the compare.py rows of the first call
# (left out with `nobench`).
set -u
export OUT
python3 -m zipfile -e .whl/nvidia_cutlass-*.whl /tmp/cutlass_whl >/dev/null
bash bench/gpu_trees.sh build .variants/main | tail -1
bash bench/gpu_trees.sh stages "test sanitize" .variants/main 2>&1 |
  grep -E "=====|passed|failed|FAILED|SUMMARY|rror|Timeout|timed out" | head -20
nvidia-smi --query-gpu=name,clocks.sm,power.draw,power.limit --format=csv
if [ "${1:-}" != nobench ]; then
  source bench/bench_once.sh
  bench_once "$OUT/cbench.log" "main no decisions" .variants/main/build/dev/bench/liteattn_bench \
    --shapes 1x48x17776x64,1x40x32760x128 --keep 1,0.5,0.25,0.1 --mask random,skewed \
    --iters 40 --adjacent-dense >/dev/null
  grep -v "none\*" $OUT/cbench.log
fi
cd $OUT && tar czf /tmp/all.tgz . && rm -rf ./* && mv /tmp/all.tgz . && ls
