# Round 42 (thirteenth session, 2026-12-07): the per-tile trace of main and of early-q
# (0023) side by side. Why: rounds 40-41 measured 0023 no faster than main (geometric mean
# over 18 rows and both call orders: 1.0036 of main's time), though round 38's trace of
# main showed ~1200 cycles of Q wait at every tile start, which 0023 was built to remove.
# The trace tells whether the Q wait went away in early-q and, if so, which wait took its
# place; and 0024's (xt-trace, phases by trace_analysis.py --cross-tile). The script
# traces whichever of the three trees are prepared. Prepare here:
#   bash bench/results/round42/prepare.sh
# then run(command="BUDGET_S=<s> bash bench/results/round42/run_trace.sh",
#          carry=[".variants", ".whl/nvidia_cutlass-4.2.0.0-py3-none-any.whl"])
# trace-early-q.patch is trace.patch ported onto 0023: the consumer events are the same;
# of the producer's, only 0 (loop start), 1 (Q slot free, recorded under the Q's own
# tile), 3 (loads issued), 4 (next tile published) and 7 exist.
source bench/device_call.sh
start_call 400
python3 -m zipfile -e .whl/nvidia_cutlass-*.whl /tmp/cutlass_whl >/dev/null
trees=()
for name in exp-trace eq-trace xt-trace; do [ -d .variants/$name ] && trees+=($name); done
t=$(allow 150 60) || exit 1
for name in "${trees[@]}"; do
  mkdir -p $OUT/$name
  build_traced_bench .variants/$name $OUT/$name $t 8 &
done
wait
echo "built, left $(left) s"
# Locals only: the loops below iterate over `name`.
run() { local dir=$1 trace=$2 t; shift 2; t=$(allow 40 15) || return; [ $t -gt 90 ] && t=90
        LITEATTN_TRACE_FILE=$OUT/$dir/$trace.bin timeout -k 5 $t .variants/$dir/build/tr/bench/liteattn_bench "$@" \
          --iters 3 --warmup 3 --settle-ms 0 > $OUT/$dir/$trace.txt 2>&1
        echo "$dir $trace rc=$?"; grep -E "^ +[0-9]+ +[0-9]+ |rror|failed" $OUT/$dir/$trace.txt | tail -1; cleanup; }
for name in "${trees[@]}"; do
  run $name c_r25 --shapes 1x48x17776x64 --keep 0.25 --mask random
  run $name c_r10 --shapes 1x48x17776x64 --keep 0.1 --mask random
  run $name w_r25 --shapes 1x40x32760x128 --keep 0.25 --mask random
done
for name in "${trees[@]}"; do
  flag=; [ $name = xt-trace ] && flag=--cross-tile
  ls $OUT/$name/*.bin >/dev/null 2>&1 &&
    timeout 60 python3 bench/results/next/trace_analysis.py $flag $OUT/$name/*.bin 2>&1 | tee $OUT/$name/summary.txt
  gzip $OUT/$name/*.bin 2>/dev/null
done
echo "left at the end: $(left) s"
