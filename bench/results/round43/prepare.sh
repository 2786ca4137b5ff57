# Prepares round 43's trees (run here, on a committed HEAD of main; see run.sh):
#   main   HEAD as is
#   xt     0023 + 0024: the next Q early, and a tile's last P V with the next first Q K^T
set -euo pipefail
cd "$(git rev-parse --show-toplevel)"
rm -rf .variants
bash bench/gpu_trees.sh patched main
bash bench/gpu_trees.sh patched xt 0023-early-next-q.patch 0024-cross-tile-last-pv.patch
du -sh .variants
