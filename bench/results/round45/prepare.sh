# Prepares round 45's trees (run here, on a committed HEAD of main; see run.sh):
#   main   HEAD as is
#   rs     0025: the softmax's row sums on the tensor cores (bf16 P x ones)
#   r32    0025 + 0026: the same in tf32 from S's fp32 registers
set -euo pipefail
cd "$(git rev-parse --show-toplevel)"
rm -rf .variants
bash bench/gpu_trees.sh patched main
bash bench/gpu_trees.sh patched rs 0025-row-sums-on-tensor-cores.patch
bash bench/gpu_trees.sh patched r32 0025-row-sums-on-tensor-cores.patch 0026-row-sums-tf32.patch
du -sh .variants
