# Round 53 (nineteenth session): hyb (bench/results/next/hybrid-order.patch) against main.
# Main's tile order sends every head's light tiles to the end of the order, so at the
# end each head's K and V come from DRAM a second time (Wan 480p ~671 MB, CogVideoX
# ~218 MB a call); at the power cap that is ~0.3-1% of a skewed call's energy (rough
# estimate, RESULTS.md "Nineteenth session"). hyb keeps only the last heads' light tiles
# for the end (a list-scheduling simulation: the same tail as main's). Only skewed
# masks have light tiles; random rows are the control (their order is unchanged).
# hyb's GPU tests first (the order test has a case with heads on both paths), then the
# C++ bench in both call orders with what is left, then hyb's sanitizers.
# Prepare here: bash bench/results/round53/prepare.sh; then
#   run(command="BUDGET_S=<budget_left_s - 100> bash bench/results/round53/run.sh",
#       carry=[".variants", ".whl/nvidia_cutlass-4.2.0.0-py3-none-any.whl"], kind="nvidia-h100-x1")
source bench/device_call.sh
start_call 560
BUILD_RESERVE=100 build_trees hyb
[ $(left) -gt 80 ] && test_each 60 hyb
export CBENCH_ARGS="${CBENCH_ARGS:---shapes 1x48x17776x64,1x40x32760x128 --keep 0.5,0.25,0.1 --mask skewed,random --iters 30}"
[ $(left) -gt 60 ] && CBENCH_RESERVE=70 cbench_both_orders .variants/main .variants/hyb
# The order kernel changes: its sanitizers too, if the time is left (twentieth session).
[ $(left) -gt 90 ] && sanitize_if_passed 10 hyb
echo "left at the end: $(left) s"
