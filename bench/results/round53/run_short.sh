# Round 53 in a short call (twentieth session: ~300 s of device time were left after the
# refused starts): main and hyb built, the C++ bench on skewed masks only (the rows hyb
# can change) in both call orders first, then hyb's GPU tests with what is left.
#   run(command="BUDGET_S=<budget_left_s - 120> bash bench/results/round53/run_short.sh",
#       carry=[".variants", ".whl/nvidia_cutlass-4.2.0.0-py3-none-any.whl"], kind="nvidia-h100-x1")
source bench/device_call.sh
start_call 180
BUILD_RESERVE=60 build_trees hyb
export CBENCH_ARGS="${CBENCH_ARGS:---shapes 1x48x17776x64,1x40x32760x128 --keep 0.5,0.25,0.1 --mask skewed --iters 20}"
[ $(left) -gt 40 ] && CBENCH_RESERVE=45 cbench_both_orders .variants/main .variants/hyb
[ $(left) -gt 45 ] && test_each 0 hyb
echo "left at the end: $(left) s"
