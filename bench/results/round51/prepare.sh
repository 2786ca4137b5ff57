# Prepares round 51's tree (run here, on a committed HEAD of main; see run.sh): main as is.
set -euo pipefail
cd "$(git rev-parse --show-toplevel)"
rm -rf .variants
bash bench/gpu_trees.sh patched main
du -sh .variants
