# Round 45c (fifteenth session): 0025's speed at D = 64 alone (its tests failed on lse
# accuracy, round 45), with whatever device time is left after round 45b. 0025 issues
# the row-sum wgmmas with the next Q K^T, so their latency hides under it, where 0026's
# (tf32, waited for before the bf16 conversion, round 45b) did not and cost 11-20%: is an
# instruction cut with its latency hidden worth anything at the power cap?
#   bash bench/results/round45/prepare.sh   (trees main, rs, r32)
#   run(command="BUDGET_S=<budget_left_s - 100> bash bench/results/round45/run_rs_speed.sh", carry=[...])
source bench/device_call.sh
start_call 200
BUILD_RESERVE=60 build_trees rs
export CBENCH_ARGS="--shapes 1x48x17776x64 --keep 1,0.5,0.25 --mask random --iters 30 --adjacent-dense"
cbench_both_orders .variants/main .variants/rs
echo "left at the end: $(left) s"
