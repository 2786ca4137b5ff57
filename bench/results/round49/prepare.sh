# Prepares round 49's trees (run here, on a committed HEAD of main; see run.sh):
#   main  HEAD as is
#   hi2   head-interleave.patch: CTAs side by side take two heads' tiles in turn
set -euo pipefail
cd "$(git rev-parse --show-toplevel)"
rm -rf .variants
bash bench/gpu_trees.sh patched main
bash bench/gpu_trees.sh patched hi2 head-interleave.patch
du -sh .variants
