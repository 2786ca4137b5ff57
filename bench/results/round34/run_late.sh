# Round 34, fourth call: is the early lookahead (main) slower without decisions than the
# tree before it (ad56bc0)? And next/late-lookahead (lookups after the loads again, the
# mask-row write still under them): tests + sanitizers, C++ bench without decisions.
set -u
export OUT
python3 -m zipfile -e .whl/nvidia_cutlass-*.whl /tmp/cutlass_whl >/dev/null
bash bench/gpu_trees.sh build .variants/ad56bc0 .variants/main .variants/next-late-lookahead
bash bench/gpu_trees.sh stages "test sanitize" .variants/next-late-lookahead 2>&1 | grep -E "=====|passed|failed|FAILED|SUMMARY|rror|Timeout|timed out" | head -14
export CBENCH_ARGS="--shapes 1x40x32760x128,1x48x17776x64 --keep 1,0.25,0.1 --mask random,skewed --iters 40 --adjacent-dense"
bash bench/gpu_trees.sh cbench .variants/ad56bc0 .variants/main .variants/next-late-lookahead >/dev/null
grep -v "none\*" $OUT/cbench.log
cd $OUT && tar czf /tmp/all.tgz . && rm -rf ./* && mv /tmp/all.tgz . && ls
