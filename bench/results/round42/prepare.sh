# Prepares round 42's traced trees (run here, on a committed HEAD of main): main, 0023
# and 0023 + 0024, each with its port of trace.patch (see run_trace.sh).
set -euo pipefail
cd "$(git rev-parse --show-toplevel)"
rm -rf .variants
bash bench/gpu_trees.sh patched exp-trace trace.patch
bash bench/gpu_trees.sh patched eq-trace 0023-early-next-q.patch trace-early-q.patch
bash bench/gpu_trees.sh patched xt-trace 0023-early-next-q.patch 0024-cross-tile-last-pv.patch trace-xt.patch
du -sh .variants
