# Round 34, fifth call (last 228 s of device time): main against next/late-lookahead with
# decisions (the C++ bench's --decisions rows), no rebuild beyond the two trees.
set -u
export OUT
python3 -m zipfile -e .whl/nvidia_cutlass-*.whl /tmp/cutlass_whl >/dev/null
bash bench/gpu_trees.sh build .variants/main .variants/next-late-lookahead | tail -2
export CBENCH_ARGS="--shapes 1x40x32760x128,1x48x17776x64 --keep 0.25,0.1 --mask random,skewed --iters 30 --adjacent-dense --decisions"
timeout 100 bash bench/gpu_trees.sh cbench .variants/main .variants/next-late-lookahead >/dev/null
grep -v "none\*" $OUT/cbench.log
