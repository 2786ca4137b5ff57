# Prepares round 53's trees (run here, on a committed HEAD of main; see run.sh): main as
# is (round 51's preparation), and hyb = hybrid-order.patch (only the last heads keep
# their light tiles for the end).
set -euo pipefail
cd "$(git rev-parse --show-toplevel)"
bash bench/results/round51/prepare.sh
bash bench/gpu_trees.sh patched hyb hybrid-order.patch
du -sh .variants
