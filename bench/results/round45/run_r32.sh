# Round 45b (fifteenth session, 2026-12-07): candidate 0026 (on 0025), the softmax's row
# sums in tf32 on the tensor cores, from the fp32 P still in S's registers (16 wgmma
# 64x8x8 a key tile) in place of 64 FADDs a thread and key tile. Round 45's 0025 summed
# the bf16 P instead and missed the tests' lse tolerance (1.465e-3 against 1e-3); tf32
# keeps 10 mantissa bits where bf16 keeps 7. Why an instruction lever: see run.sh.
# Prepare here:
#   bash bench/results/round45/prepare_r32.sh
# then
#   run(command="BUDGET_S=<budget_left_s - 150, at most 560> bash bench/results/round45/run_r32.sh",
#       carry=[".variants", ".whl/nvidia_cutlass-4.2.0.0-py3-none-any.whl"])
# Steps: builds main and r32; GPU tests of r32; sanitizers on r32; the C++ bench on both
# shapes in both orders; compare.py on r32 for CogVideoX if 200 s are left. Merge rule:
# tests pass, sanitizers clean, faster than main over both orders (geometric mean of the
# rows below 0.99, no row slower by more than 1%).
set -u
export OUT
deadline=$((SECONDS + ${BUDGET_S:-560}))
source bench/device_call.sh
trap pack EXIT
BUILD_RESERVE=300 build_trees r32
test_each 240 r32
sanitize_if_passed 200 r32
export CBENCH_ARGS="--shapes 1x48x17776x64,1x40x32760x128 --keep 1,0.5,0.25,0.1 --mask random,skewed --iters 30 --adjacent-dense"
[ ${#passed[@]} -gt 0 ] && cbench_both_orders .variants/main .variants/r32
if [[ " ${passed[*]:-} " == *" .variants/r32 "* ]] && t=$(allow 10 200); then
  [ $t -gt 240 ] && t=240
  mkdir -p $OUT/compare
  OUT=$OUT/compare TREE=.variants/r32 bash bench/results/round35/run_compare.sh 1x48x17776x64:$((t - 15))
fi
echo "left at the end: $(left) s"
