# Round 40 (twelfth session, 2026-12-07): the next tile's Q issued early (0023, branch
# next/early-q), against main. Why: round 38's trace of main on the H100 shows every
# consumer warpgroup waiting ~1200 cycles for Q at every tile start (D = 64 and 128): the
# producer issued the next tile's Q only after the current tile's last V, ~3200 cycles
# after it (hand-off, decode, slot wait), and Q then took 1800-2800 cycles to land, while
# the consumers were ready ~3800 cycles after that last V. 0023 issues Q (and the hand-off)
# after the current tile's second K, V pair. Expected: ~1.5% at keep 0.25, ~3% at keep
# 0.1 (D = 64), ~0.4% dense. Prepare here:
#   bash bench/results/round40/prepare.sh
# then
#   run(command="BUDGET_S=<budget_left_s - 90, at most 560> bash bench/results/round40/run.sh",
#       carry=[".variants", ".whl/nvidia_cutlass-4.2.0.0-py3-none-any.whl"])
# Steps: builds main and early-q; GPU tests of early-q; sanitizers on it; the C++ bench
# on both shapes, keep 1 / 0.5 / 0.25 / 0.1, random and skewed: main, early-q, main.
# Then, if early-q's tests passed and 200 s are left, compare.py on it for CogVideoX (the
# shape that missed most targets in round 37), into $OUT/compare/all.tgz.
# Merge rule: tests pass, sanitizers clean, and the rows faster than both runs of main
# (within 0.5% on dense). Wan 480p's compare.py in a next call, without carrying
# .variants (the built trees stay on a warm machine):
#   TREE=.variants/early-q bash bench/results/round35/run_compare.sh 1x40x32760x128:290
source bench/device_call.sh
start_call 560
build_trees early-q
test_each 240 early-q
sanitize_if_passed 200 early-q
export CBENCH_ARGS="--shapes 1x48x17776x64,1x40x32760x128 --keep 1,0.5,0.25,0.1 --mask random,skewed --iters 30 --adjacent-dense"
[ ${#passed[@]} -gt 0 ] && cbench_trees .variants/main "${passed[@]}"  # main again at the end
if [[ " ${passed[*]:-} " == *" .variants/early-q "* ]] && t=$(allow 10 200); then
  [ $t -gt 240 ] && t=240
  mkdir -p $OUT/compare
  OUT=$OUT/compare TREE=.variants/early-q bash bench/results/round35/run_compare.sh 1x48x17776x64:$((t - 15))
fi
echo "left at the end: $(left) s"
