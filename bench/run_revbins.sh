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
shopt -s nullglob
revs=(.revbin/bench_r*)
[ -x .revbin/bench_cur ] && [ ${#revs[@]} -gt 0 ] || { echo "need .revbin/bench_cur and .revbin/bench_r*"; exit 1; }
status=0
for bin in .revbin/bench_cur "${revs[@]}" .revbin/bench_cur; do
  echo "== $bin" | tee -a "$OUT/revbins.log"
  timeout 120 "$bin" --shapes "$shapes" --iters 50 >"$OUT/run.txt" 2>&1 || { echo "$bin failed: rc=$?"; status=1; }
  grep -E "^ +1 |rror" "$OUT/run.txt" | tee -a "$OUT/revbins.log"
done
rm -f "$OUT/run.txt"
exit $status
