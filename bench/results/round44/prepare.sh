# Prepares round 44's trees (run here, on a committed HEAD of main; see run.sh):
#   main      HEAD as is (Nsight Compute's DRAM and L2 counts at full grid)
#   mainh     main on a third of the SMs (third-grid.patch)
#   xth       0023 + 0024 on a third of the SMs
#   exp-trace, xt-trace   round 42's traced trees of main and of 0023 + 0024
set -euo pipefail
cd "$(git rev-parse --show-toplevel)"
rm -rf .variants
bash bench/gpu_trees.sh patched main
bash bench/gpu_trees.sh patched mainh third-grid.patch
bash bench/gpu_trees.sh patched xth 0023-early-next-q.patch 0024-cross-tile-last-pv.patch third-grid.patch
bash bench/gpu_trees.sh patched exp-trace trace.patch
bash bench/gpu_trees.sh patched xt-trace 0023-early-next-q.patch 0024-cross-tile-last-pv.patch trace-xt.patch
du -sh .variants
