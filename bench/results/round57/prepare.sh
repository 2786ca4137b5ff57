# Prepares round 57's trees (run here, on a committed HEAD of main):
#   main  = main as is (GPU-tested as rob5 in round 55; one test changed since: the
#           stride-0 K/V test warns which branch ran);
#   floor = main + robust/0007 (the softmax's running max starts at a finite floor
#           instead of -inf: 0001's NaN fix without an instruction in the loop).
set -euo pipefail
cd "$(git rev-parse --show-toplevel)"
rm -rf .variants
bash bench/gpu_trees.sh patched main
bash bench/gpu_trees.sh patched floor robust/0007-softmax-finite-floor-instead-of-the-guard.patch
du -sh .variants
