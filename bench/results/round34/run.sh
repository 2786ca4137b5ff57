# Round 34 (eighth session): main (= next/qdb-deferred merged) against next/producer-lookahead
# (mask-row write and next-tile lookups moved under the loads). GPU tests + sanitizers on
# the branch; C++ bench main / branch / main, with and without decisions, nvidia-smi.
set -u
export OUT
python3 -m zipfile -e .whl/nvidia_cutlass-*.whl /tmp/cutlass_whl >/dev/null  # once, before the parallel builds
bash bench/gpu_trees.sh build .variants/main .variants/next-producer-lookahead
grep -H -iE "spill stores" $OUT/*/ptxas.txt 2>/dev/null | sort | uniq -c
bash bench/gpu_trees.sh stages "test sanitize" .variants/next-producer-lookahead 2>&1 | grep -E "=====|passed|failed|FAILED|SUMMARY|rror|agreement|Timeout|timed out" | head -14
nvidia-smi --query-gpu=timestamp,clocks.sm,power.draw,clocks_throttle_reasons.active --format=csv -lms 250 > $OUT/smi.csv &
SMI=$!
export CBENCH_ARGS="--shapes 1x40x32760x128,1x48x17776x64 --keep 1,0.5,0.25,0.1 --mask random,skewed --iters 40 --adjacent-dense --decisions"
bash bench/gpu_trees.sh cbench .variants/main .variants/next-producer-lookahead >/dev/null
kill $SMI
grep -v "none\*" $OUT/cbench.log
cd $OUT && gzip smi.csv && tar czf /tmp/all.tgz . && rm -rf ./* && mv /tmp/all.tgz . && ls
