# Round 57, first call (prepared in the twenty-third session): main's GPU tests (the
# stride-0 K/V test warns which branch ran: if "refused", validation should reject
# stride 0 up front) and sanitizers; the candidate `floor` (prepare.sh) tested and benched
# against main in both call orders (it must be even with main: no instruction was added
# to the loop; round 55 measured 0001's select at +1-4% on D=64 rows).
# Prepare here: bash bench/results/round57/prepare.sh; then
#   run(command="BUDGET_S=<budget_left_s - 100, at most 560> bash bench/results/round57/run.sh",
#       carry=[".variants", ".whl/nvidia_cutlass-4.2.0.0-py3-none-any.whl"], kind="nvidia-h100-x1")
# About 80 s of builds, 2 x 20 s of tests, 60 s of sanitizers, ~120 s of C++ bench.
# Then, on the same warm machine and WITHOUT carry, run_b.sh.
source bench/device_call.sh
start_call 560
BUILD_RESERVE=300 build_trees floor
TEST_CAP=90 test_each 250 main floor
echo "passed: ${passed[*]:-none}" | tee $OUT/passed.txt
tar xzOf $OUT/main/round.tgz ./gpu_tests.log 2>/dev/null | grep -A1 "stride-0" | first 4
sanitize_if_passed 180 main
export CBENCH_ARGS="${CBENCH_ARGS:---shapes 1x48x17776x64,1x40x32760x128 --keep 1,0.5,0.25,0.1 --mask skewed,random --iters 20}"
[ $(left) -gt 60 ] && CBENCH_RESERVE=50 cbench_both_orders .variants/main .variants/floor
echo "left at the end: $(left) s"
