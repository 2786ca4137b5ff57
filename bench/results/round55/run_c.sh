# Round 55, third call: rob5 = main + robust/ 0002-0006 (all of the review's fixes but
# the softmax's -inf guard, which run.sh measured at +1-4% on D=64 rows). Built with
# main; rob5's GPU tests and sanitizers, then the C++ bench of main vs rob5 in both call
# orders. Prepare here: bash bench/gpu_trees.sh patched main &&
#   bash bench/gpu_trees.sh patched rob5 $(cd bench/results/next && ls robust/*.patch | grep -v 0001)
source bench/device_call.sh
start_call 480
BUILD_RESERVE=250 build_trees rob5
TEST_CAP=100 test_each 200 rob5
echo "passed: ${passed[*]:-none}" | tee $OUT/passed.txt
sanitize_if_passed 120 rob5
export CBENCH_ARGS="${CBENCH_ARGS:---shapes 1x48x17776x64,1x40x32760x128 --keep 1,0.5,0.25,0.1 --mask skewed,random --iters 20}"
[ $(left) -gt 60 ] && CBENCH_RESERVE=50 cbench_both_orders .variants/main .variants/rob5
echo "left at the end: $(left) s"
