# Prepares the trees that bench/results/round39/run.sh builds and measures on the device
# (eleventh session's candidate; not run on a GPU yet):
#   main       HEAD as is
#   lazy       0022: lazy output rescaling (FlashAttention-4's), both head dims
#   tb1-lazy   0019 + 0022 (0019: a tile's first Q K^T takes no MMA turn, D = 64;
#              round 37: keep 0.1 1-4% faster, keep 0.25 mixed, dense +0.6-1.1%)
# Run from the repo root here (not on the device), on a committed HEAD (git archive takes
# HEAD, not the working tree); then carry .variants and the wheel.
set -euo pipefail
cd "$(git rev-parse --show-toplevel)"
rm -rf .variants
make_tree() { bash bench/gpu_trees.sh patched "$@"; }
make_tree main
make_tree lazy 0022-lazy-output-rescaling.patch
make_tree tb1-lazy 0019-tb1-first-qk-no-turn.patch 0022-lazy-output-rescaling.patch
du -sh .variants
