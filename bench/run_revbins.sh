#!/usr/bin/env bash
# Times prebuilt C++ benchmark binaries (.revbin/bench_*, built here from earlier
# revisions and the current tree) side by side on the GPU machine, interleaved and with
# the current build first and last, so a code regression shows apart from drift.
#   bash bench/run_revbins.sh            (on the device; results under $OUT)
set -uo pipefail
OUT=${OUT:-$PWD/gpu_out}
mkdir -p "$OUT"
export LD_LIBRARY_PATH=/usr/local/cuda/lib64${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
shapes=${REV_SHAPES:-1x40x32760x128,1x48x17776x64}
for bin in .revbin/bench_cur .revbin/bench_r* .revbin/bench_cur; do
  echo "== $bin"
  timeout 120 "$bin" --shapes "$shapes" --iters 50 2>&1 | grep -E "^ +1 " | tee -a "$OUT/revbins.log"
done
