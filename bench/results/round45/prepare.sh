# Prepares round 45's trees (run here, on a committed HEAD of main; see run.sh):
#   main   HEAD as is
#   rs     0025: the softmax's row sums on the tensor cores
set -euo pipefail
cd "$(git rev-parse --show-toplevel)"
rm -rf .variants
bash bench/gpu_trees.sh patched main
bash bench/gpu_trees.sh patched rs 0025-row-sums-on-tensor-cores.patch
du -sh .variants
