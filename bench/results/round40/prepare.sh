# Prepares round 40's trees (run here, on a committed HEAD of main; see run.sh):
#   main      HEAD as is
#   early-q   0023: the next tile's Q and hand-off issued after the second K, V pair
set -euo pipefail
cd "$(git rev-parse --show-toplevel)"
rm -rf .variants
bash bench/gpu_trees.sh patched main
bash bench/gpu_trees.sh patched early-q 0023-early-next-q.patch
du -sh .variants
