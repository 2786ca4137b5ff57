# Round 54, first call (twenty-first session; supersedes round 53, which never ran):
# main's strengthened GPU tests, and two candidates against main (prepare.sh says what
# each tree is). All three trees are built at once; then each tree's GPU tests (main's
# first: the tests themselves are new), then the C++ bench in both call orders on the
# rows the candidates can change: hyb the skewed masks' order (random rows are its
# control); hybrob adds one select a row per tile in the softmax (every row), judged
# against hyb (ratio_hybrob_over_hyb.txt).
# Prepare here: bash bench/results/round54/prepare.sh; then
#   run(command="BUDGET_S=<budget_left_s - 100, at most 560> bash bench/results/round54/run.sh",
#       carry=[".variants", ".whl/nvidia_cutlass-4.2.0.0-py3-none-any.whl"], kind="nvidia-h100-x1")
# Then, on the same warm machine and WITHOUT carry (the built trees stay there), run_b.sh.
source bench/device_call.sh
start_call 560
BUILD_RESERVE=200 build_trees hyb hybrob
# The suite grew in the twenty-first session (was 60-70 s a tree): 120 s each at most.
TEST_CAP=120 test_each 110 main hyb hybrob
echo "passed: ${passed[*]:-none}" | tee $OUT/passed.txt
export CBENCH_ARGS="${CBENCH_ARGS:---shapes 1x48x17776x64,1x40x32760x128 --keep 1,0.5,0.25,0.1 --mask skewed,random --iters 20}"
[ $(left) -gt 60 ] && CBENCH_RESERVE=60 cbench_both_orders .variants/main .variants/hyb .variants/hybrob
ls $OUT/cbench_*_first.log >/dev/null 2>&1 &&
  python3 bench/results/next/cbench_ratio.py --base hyb --cand hybrob $OUT/cbench_*_first.log |
  tee $OUT/ratio_hybrob_over_hyb.txt
echo "left at the end: $(left) s"
