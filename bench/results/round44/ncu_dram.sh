#!/usr/bin/env bash
# DRAM bytes, L2 hit rate and duration of main's forward launches, dense and keep 0.25
# (random), at both head dims, with the board's own clock and caches as a real call
# sees them (no clock locking, no cache flush between launches).
#   bash bench/results/round44/ncu_dram.sh BENCH_BINARY     # results under $OUT/ncu_dram
set -uo pipefail
bin=$1
mkdir -p "$OUT/ncu_dram"
for shape in 1x48x17776x64 1x40x32760x128; do
  # --warmup 1 --iters 1 --settle-ms 0: the dense row launches twice, then the masked row
  # twice; the second launch of each is the one to read.
  timeout 100 ncu --kernel-name regex:fwd_kernel --launch-count 4 --clock-control none \
    --cache-control none \
    --metrics dram__bytes_read.sum,dram__bytes_write.sum,lts__t_sector_hit_rate.pct,lts__t_sectors_srcunit_tex_op_read.sum,gpu__time_duration.sum \
    "$bin" --shapes "$shape" --keep 0.25 --mask random --warmup 1 --iters 1 --settle-ms 0 \
    > "$OUT/ncu_dram/$shape.txt" 2>&1
  echo "== $shape rc=$?"
  grep -E "fwd_kernel|dram__bytes|lts__t_sector_hit|lts__t_sectors_src|gpu__time_duration" \
    "$OUT/ncu_dram/$shape.txt" | sed 's/  */ /g' | cut -c1-150
done
