# Prepares round 53's trees (run here, on a committed HEAD of main; see run.sh):
#   main  HEAD as is
#   hyb   hybrid-order.patch: only the last heads keep their light tiles for the end
set -euo pipefail
cd "$(git rev-parse --show-toplevel)"
rm -rf .variants
bash bench/gpu_trees.sh patched main
bash bench/gpu_trees.sh patched hyb hybrid-order.patch
du -sh .variants
