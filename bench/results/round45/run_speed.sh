# Round 45b: 0025's speed alone, though its GPU tests failed (round 45: lse 1.465e-3 off
# the float64 reference at D = 64, 1000 x 7, against the tests' 1e-3: the sums of the bf16
# P are coarser than the fp32 ones). Not a merge candidate as it is; the question is
# whether cutting 40 of the D = 64 loop's 443 instructions (64 FADDs for 8 HGMMA and
# uniform-datapath work) buys time at the power cap, i.e. whether an accurate version
# (tf32 sums of the fp32 P) is worth building. Same C++ bench as round 45, both orders.
#   run(command="BUDGET_S=<budget_left_s - 90, at most 560> bash bench/results/round45/run_speed.sh",
#       carry=[".variants", ".whl/nvidia_cutlass-4.2.0.0-py3-none-any.whl"])
set -u
export OUT
deadline=$((SECONDS + ${BUDGET_S:-560}))
source bench/device_call.sh
trap pack EXIT
BUILD_RESERVE=300 build_trees rs
passed=(.variants/main .variants/rs)
export CBENCH_ARGS="--shapes 1x48x17776x64,1x40x32760x128 --keep 1,0.5,0.25,0.1 --mask random,skewed --iters 30 --adjacent-dense"
cbench_both_orders .variants/main .variants/rs
echo "left at the end: $(left) s"
