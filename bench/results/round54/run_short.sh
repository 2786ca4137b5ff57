# Round 54 in one short call (twenty-second session), for a session left with ~300-450 s
# of device time: main and hybrob built; hybrob's GPU tests first (its suite is main's,
# strengthened in the twenty-first session and never run on a GPU, plus the tests of hyb
# and robust-on-hyb, so one run covers all three trees' tests); then the C++ bench of
# main against hybrob in both call orders on the rows hyb targets (skewed; random is the
# control). If hybrob fails, the full run.sh says which of hyb and the fixes is at fault.
# Prepare here: bash bench/results/round54/prepare.sh; then
#   run(command="BUDGET_S=<budget_left_s - 100> bash bench/results/round54/run_short.sh",
#       carry=[".variants", ".whl/nvidia_cutlass-4.2.0.0-py3-none-any.whl"], kind="nvidia-h100-x1")
source bench/device_call.sh
start_call 300
BUILD_RESERVE=150 build_trees hybrob
TEST_CAP=120 test_each 40 hybrob
echo "passed: ${passed[*]:-none}" | tee $OUT/passed.txt
export CBENCH_ARGS="${CBENCH_ARGS:---shapes 1x48x17776x64,1x40x32760x128 --keep 0.25,0.1 --mask skewed,random --iters 20}"
[ $(left) -gt 40 ] && CBENCH_RESERVE=45 cbench_both_orders .variants/main .variants/hybrob
echo "left at the end: $(left) s"
