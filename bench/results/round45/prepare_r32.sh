# Prepares round 45b's trees (run here, on a committed HEAD of main; see run_r32.sh):
#   main   HEAD as is
#   r32    0025 + 0026: the softmax's row sums in tf32 on the tensor cores
set -euo pipefail
cd "$(git rev-parse --show-toplevel)"
rm -rf .variants
bash bench/gpu_trees.sh patched main
bash bench/gpu_trees.sh patched r32 0025-row-sums-on-tensor-cores.patch 0026-row-sums-tf32.patch
du -sh .variants
