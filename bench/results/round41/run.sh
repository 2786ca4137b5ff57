# Round 41 (thirteenth session, 2026-12-07): confirms round 40 before merging 0023 (early
# next Q). Round 40's C++ bench ran main, early-q, main: early-q was faster than both main
# runs on 11 of 18 rows, slower by at most 1.1% on the others, geometric mean 0.994 of
# main's. This call runs the reverse order (early-q, main, early-q) so that the two calls
# together put each tree at each place, then compare.py on early-q for Wan 480p (round 40
# ran it for CogVideoX). Same preparation and carry as round 40:
#   bash bench/results/round40/prepare.sh
#   run(command="BUDGET_S=480 bash bench/results/round41/run.sh",
#       carry=[".variants", ".whl/nvidia_cutlass-4.2.0.0-py3-none-any.whl"])
source bench/device_call.sh
start_call 480
BUILD_RESERVE=360 build_trees early-q
export CBENCH_ARGS="--shapes 1x48x17776x64,1x40x32760x128 --keep 1,0.5,0.25,0.1 --mask random,skewed --iters 30 --adjacent-dense"
cbench_trees .variants/early-q .variants/main  # early-q again at the end
if t=$(allow 10 200); then
  [ $t -gt 300 ] && t=300
  mkdir -p $OUT/compare
  OUT=$OUT/compare TREE=.variants/early-q bash bench/results/round35/run_compare.sh 1x40x32760x128:$((t - 15))
fi
echo "left at the end: $(left) s"
