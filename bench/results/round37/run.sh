# Round 37 (prepared in the tenth session, which got no device time: every start was
# refused). Prepare here first: bash bench/results/next/prepare_round37.sh; then
#   run(command="BUDGET_S=<budget_left_s - 90, at most 560> bash bench/results/round37/run.sh",
#       carry=[".variants", ".whl/nvidia_cutlass-4.2.0.0-py3-none-any.whl"])
# In order of value, each step under the deadline (BUDGET_S seconds from the start):
#  1. builds main, tb1, ex2-4, ex2-8, tb1-ex2 in parallel (~2 min);
#  2. GPU tests of every candidate; sanitizers (memcheck, racecheck, synccheck) on tb1-ex2,
#     which carries both changes (its D = 128 kernel is main's: these are also main's
#     first GPU tests on an H100);
#  3. the C++ bench on the CogVideoX shape (D = 64, the only one the candidates change):
#     main, then every candidate whose tests passed, then main again; keep 1 / 0.25 / 0.1,
#     random and skewed, the dense call timed next to every row (eff); nvidia-smi alongside;
#  4. main's own GPU tests if time is left.
# A hung step is killed with everything it started (cleanup), so it cannot keep the GPU
# busy under later timings. Merge rule: tests pass, sanitizers clean (tb1-ex2 covers both
# changes), keep-0.25 / 0.1 rows faster than both runs of main, dense not slower by > 1%.
source bench/device_call.sh
start_call 560
build_trees tb1 ex2-4 ex2-8 tb1-ex2
test_each 150 tb1-ex2 tb1 ex2-4 ex2-8
sanitize_if_passed 130 tb1-ex2
export CBENCH_ARGS="--shapes 1x48x17776x64 --keep 1,0.25,0.1 --mask random,skewed --iters 40 --adjacent-dense"
cbench_trees .variants/main "${passed[@]}"
echo "left after cbench: $(left) s"
if t=$(allow 10 50); then
  timeout -k 5 $t bash bench/gpu_trees.sh stages test .variants/main 2>&1 |
    grep -E "=====|passed|failed|FAILED|rror|Timeout|timed out" | first 6
fi
echo "left at the end: $(left) s"
