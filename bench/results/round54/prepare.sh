# Prepares round 54's trees (run here, on a committed HEAD of main; see run.sh):
#   main = main as is (its GPU tests were strengthened in the twenty-first session and
#          have not run on a GPU yet);
#   hyb  = main + hybrid-order.patch (round 53's candidate: only the last heads keep
#          their light tiles for the end);
#   hybrob = hyb + robust-on-hyb/series (the review's fixes, rebased on hyb in the
#          twenty-second session: the -inf row guard in the softmax, tile-order tickets,
#          a TMA descriptor check, an order-kernel launch message, the bench's runtime,
#          a stride-0 K/V test). Stacked, so that if both pass, what lands is what ran.
set -euo pipefail
cd "$(git rev-parse --show-toplevel)"
rm -rf .variants
bash bench/gpu_trees.sh patched main
bash bench/gpu_trees.sh patched hyb hybrid-order.patch
bash bench/gpu_trees.sh patched hybrob hybrid-order.patch $(cat bench/results/next/robust-on-hyb/series)
du -sh .variants
