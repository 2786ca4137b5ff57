# Round 55, first call (twenty-third session): main's GPU tests in full (round 54's
# stopped at the first failure, a test/op mismatch now fixed), main's sanitizers, rob's
# tests, and the C++ bench of main vs rob in both call orders (rob adds one select a row
# per tile in the softmax: the cost of the -inf guard is the question).
# Prepare here: bash bench/results/round55/prepare.sh; then
#   run(command="BUDGET_S=<budget_left_s - 100, at most 560> bash bench/results/round55/run.sh",
#       carry=[".variants", ".whl/nvidia_cutlass-4.2.0.0-py3-none-any.whl"], kind="nvidia-h100-x1")
# Then, on the same warm machine and WITHOUT carry, run_b.sh.
source bench/device_call.sh
start_call 560
BUILD_RESERVE=300 build_trees rob
TEST_CAP=130 test_each 230 main rob
echo "passed: ${passed[*]:-none}" | tee $OUT/passed.txt
sanitize_if_passed 110 main
export CBENCH_ARGS="${CBENCH_ARGS:---shapes 1x48x17776x64,1x40x32760x128 --keep 1,0.5,0.25,0.1 --mask skewed,random --iters 20}"
[ $(left) -gt 60 ] && CBENCH_RESERVE=50 cbench_both_orders .variants/main .variants/rob
echo "left at the end: $(left) s"
