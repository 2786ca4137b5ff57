# Round 48 (seventeenth session): is the L2 -> SM traffic of K and V a lever at the
# power cap? Since round 43 neither cycles saved at tile boundaries (0019, 0023, 0024)
# nor instructions removed (0025) have bought time at full grid, where the H100 runs at
# its 700 W cap: there time is energy over power, so only work that costs energy can
# buy time. Each CTA reads its head's whole K and V from L2 for every query tile
# (CogVideoX: 32 KiB a key tile, ~20 GB a call; Wan 480p: ~170 GB), which a 2-CTA
# cluster with TMA multicast would halve. Before building that: what do half and none
# of that traffic buy? kvhalf / kvnone (kv-load-every.patch) skip the copies but keep
# every barrier and every GEMM, so they time the same kernel without (half) the traffic.
# Steps:
#   1. builds main, kvhalf, kvnone;
#   2. the C++ bench of the three, both call orders (main kvhalf kvnone main; kvnone
#      kvhalf main kvnone), CogVideoX and Wan 480p at keep 1 and 0.5 (random);
#   3. on an H100 only, compare.py on main for Wan 480p (the third H100 run of that
#      shape) with what is left (>= 200 s).
# Prepare here: bash bench/results/round48/prepare.sh; then
#   run(command="BUDGET_S=<budget_left_s - 90, at most 560> bash bench/results/round48/run.sh",
#       carry=[".variants", ".whl/nvidia_cutlass-4.2.0.0-py3-none-any.whl"], kind="nvidia-h100-x1")
source bench/device_call.sh
start_call 560
BUILD_RESERVE=300 build_trees kvhalf kvnone
export CBENCH_ARGS="--shapes 1x48x17776x64,1x40x32760x128 --keep 1,0.5 --mask random --iters 30"
CBENCH_RESERVE=330 cbench_both_orders .variants/main .variants/kvhalf .variants/kvnone
echo "left after the benches: $(left) s"
# Only an H100's run counts towards the issue's targets: on another card, stop here.
nvidia-smi --query-gpu=name --format=csv,noheader | grep -q H100 &&
  compare_shape .variants/main 1x40x32760x128 330
echo "left at the end: $(left) s"
