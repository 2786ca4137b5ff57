# Prepares round 46's trees (run here, on a committed HEAD of main; see run.sh):
#   main          HEAD as is
#   st3           three K/V stages at D = 64 (stages3-d64.patch)
#   steady-trace  main with trace.patch + trace-steady.patch (the trace of a process's
#                 last call, written at exit, so that a long run reaches the power cap)
set -euo pipefail
cd "$(git rev-parse --show-toplevel)"
rm -rf .variants
bash bench/gpu_trees.sh patched main
bash bench/gpu_trees.sh patched st3 stages3-d64.patch
bash bench/gpu_trees.sh patched steady-trace trace.patch trace-steady.patch
du -sh .variants
