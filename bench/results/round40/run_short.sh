# Round 40 cut to fit ~200 s of device time (the twelfth session's last call, after four
# refused starts): builds main and early-q; GPU tests of early-q; the C++ bench (main,
# early-q, main) on CogVideoX only, keep 1 / 0.25 / 0.1, random and skewed; then the
# sanitizers on early-q with what is left. Prepared by bench/results/round40/prepare.sh,
# same carry.
source bench/device_call.sh
start_call 200
BUILD_RESERVE=90 build_trees early-q
test_each 60 early-q
export CBENCH_ARGS="--shapes 1x48x17776x64 --keep 1,0.25,0.1 --mask random,skewed --iters 20 --adjacent-dense"
[ ${#passed[@]} -gt 0 ] && cbench_trees .variants/main "${passed[@]}"
sanitize_if_passed 5 early-q
echo "left at the end: $(left) s"
