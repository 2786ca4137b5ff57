# Prepares the trees that bench/results/round37/run.sh builds and measures on the device
# (tenth session's candidates for the D = 64 fixed and loop costs; none has run on a GPU):
#   main     HEAD as is
#   tb1      0019: a tile's first Q K^T takes no MMA turn (no lockstep tile starts)
#   ex2-4    0021: every 4th softmax exponential on the FMA pipe at D = 64
#   ex2-8    0021 with every 8th
#   tb1-ex2  0019 + 0021
# Run from the repo root here (not on the device), on a committed HEAD (git archive takes
# HEAD, not the working tree); then carry .variants and the wheel. Other trees in
# .variants are removed: everything there travels.
set -euo pipefail
cd "$(git rev-parse --show-toplevel)"
rm -rf .variants
make_tree() { bash bench/gpu_trees.sh patched "$@"; }
make_tree main
make_tree tb1 0019-tb1-first-qk-no-turn.patch
make_tree ex2-4 0021-ex2mix-exp2-on-fma-every-4th-at-d64.patch
make_tree ex2-8 0021-ex2mix-exp2-on-fma-every-4th-at-d64.patch
sed -i 's/#define LITEATTN_TUNE_EXP2_FMA_64 4/#define LITEATTN_TUNE_EXP2_FMA_64 8/' .variants/ex2-8/include/liteattn/traits.h
grep -q "EXP2_FMA_64 8" .variants/ex2-8/include/liteattn/traits.h
make_tree tb1-ex2 0019-tb1-first-qk-no-turn.patch 0021-ex2mix-exp2-on-fma-every-4th-at-d64.patch
du -sh .variants
