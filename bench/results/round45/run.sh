# Round 45 (fifteenth session, 2026-12-07): candidate 0025, the softmax's row sums on the
# tensor cores (L = P x ones, 8 wgmma 64x8x16 a key tile, issued with the next Q K^T) in
# place of 64 FADDs a thread and key tile: the D = 64 loop goes from 443 to 403 SASS
# instructions. Why an instruction lever: round 44 measured 0023 + 0024 0.8% faster than
# main on a third of the SMs (below the power cap) and not at all at full grid (at the
# cap), so cycles saved at a tile boundary do not become time there; energy does, and
# 0021's extra instructions cost 6-10% time at the cap. Prepare here:
#   bash bench/results/round45/prepare.sh
# then
#   run(command="BUDGET_S=<budget_left_s - 90, at most 560> bash bench/results/round45/run.sh",
#       carry=[".variants", ".whl/nvidia_cutlass-4.2.0.0-py3-none-any.whl"])
# Steps: builds main and rs; GPU tests of rs; sanitizers on rs; the C++ bench on both
# shapes in both orders; compare.py on rs for CogVideoX if 200 s are left. Merge rule:
# tests pass, sanitizers clean, faster than main over both orders (geometric mean of the
# rows below 0.99, no row slower by more than 1%).
set -u
export OUT
deadline=$((SECONDS + ${BUDGET_S:-560}))
source bench/device_call.sh
trap pack EXIT
BUILD_RESERVE=300 build_trees rs
test_each 240 rs
sanitize_if_passed 200 rs
export CBENCH_ARGS="--shapes 1x48x17776x64,1x40x32760x128 --keep 1,0.5,0.25,0.1 --mask random,skewed --iters 30 --adjacent-dense"
[ ${#passed[@]} -gt 0 ] && cbench_both_orders .variants/main .variants/rs
if [[ " ${passed[*]:-} " == *" .variants/rs "* ]] && t=$(allow 10 200); then
  [ $t -gt 240 ] && t=240
  mkdir -p $OUT/compare
  OUT=$OUT/compare TREE=.variants/rs bash bench/results/round35/run_compare.sh 1x48x17776x64:$((t - 15))
fi
echo "left at the end: $(left) s"
