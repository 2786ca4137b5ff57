# Round 43 (prepared in the thirteenth session, 2026-12-07): candidate 0024 (on 0023), a
# tile's last P V issued with the next tile's first Q K^T, so the next tile's first
# softmax runs under it and a tile boundary costs about one loop step (round 38's trace
# of main: ~3700 cycles = 1.5 key tiles of fixed cost a tile at D = 64, of which the
# first softmax 1631 and the lone last P V 465, with ~1200 of Q wait that 0023 alone did
# not turn into time). 0024 needs 0023 (the next tile's Q must be there when the current
# tile's loop ends). Prepare here:
#   bash bench/results/round43/prepare.sh
# then
#   run(command="BUDGET_S=<budget_left_s - 90, at most 560> bash bench/results/round43/run.sh",
#       carry=[".variants", ".whl/nvidia_cutlass-4.2.0.0-py3-none-any.whl"])
# Steps: builds main and xt; GPU tests of xt (a hang is killed by the step's timeout);
# sanitizers on xt; the C++ bench on both shapes in both orders (main, xt, main, then xt,
# main, xt: round 41 showed one order alone is not enough); compare.py on xt for
# CogVideoX if 200 s are left. Merge rule: tests pass, sanitizers clean, faster than main
# over both orders (geometric mean of the rows below 0.99, no row slower by more than 1%).
source bench/device_call.sh
start_call 560
export CBENCH_ARGS="--shapes 1x48x17776x64,1x40x32760x128 --keep 1,0.5,0.25,0.1 --mask random,skewed --iters 30 --adjacent-dense"
candidate_round xt
echo "left at the end: $(left) s"
