# Prepares round 48's trees (run here, on a committed HEAD of main; see run.sh):
#   main     HEAD as is
#   kvhalf   kv-load-every.patch: after the first fill, every 2nd K / V load issued
#            (the other half complete their stage's bytes without a copy)
#   kvnone   the same with no K / V load after the first fill of each stage
# Both experiment trees compute wrong results by design: they only time the kernel.
set -euo pipefail
cd "$(git rev-parse --show-toplevel)"
rm -rf .variants
bash bench/gpu_trees.sh patched main
bash bench/gpu_trees.sh patched kvhalf kv-load-every.patch
bash bench/gpu_trees.sh patched kvnone kv-load-every.patch
sed -i 's/^#define LITEATTN_EXP_KV_LOAD_EVERY 2$/#define LITEATTN_EXP_KV_LOAD_EVERY (1 << 30)/' \
  .variants/kvnone/include/liteattn/collective/mainloop.hpp
grep -q "LITEATTN_EXP_KV_LOAD_EVERY (1 << 30)" .variants/kvnone/include/liteattn/collective/mainloop.hpp
du -sh .variants
