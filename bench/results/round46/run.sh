# Round 46 (prepared in the fifteenth session, 2026-12-07): why a sparse call is less
# efficient at the board's power cap than below it. Round 44: on a third of the SMs (no
# cap) main's skip efficiency is 0.990 at keep 0.5 and 0.971 at 0.25, what its per-tile
# cycle counts predict; at full grid compare.py reads 0.952-0.964 at CogVideoX random
# keep 0.5 in all three H100 runs (rounds 35, 37, 43), which is the row whose Flex ratio
# misses 1.5 every time (1.502, 1.462, 1.470). Either the sparse call runs at a lower
# clock than the dense one at the cap (it draws more power a cycle), or it needs more
# cycles a key tile there (e.g. its K/V loads, spread over the whole head where the dense
# call's CTAs read the same tile together, wait longer on an L2 loaded by 132 SMs).
# Steps:
#   1. builds main and st3, and the traced main (steady-trace);
#   2. steady-state traces at full grid, one process each (the trace is the last call's,
#      after --settle-ms 3000 at the cap): CogVideoX random keep 1 (dense reference with
#      a mask), 0.5 and 0.25; trace_analysis.py prints per tile the cycles a key tile,
#      the fixed cost, and the SM clock (cycles / globaltimer ns). Same cycles and a lower
#      clock at keep 0.5: energy; more cycles a key tile: waiting (then st3 is the lever);
#   3. the C++ bench of main against st3 (three K/V stages at D = 64) in both call orders,
#      CogVideoX rows random and skewed at keep 1, 0.75, 0.5, 0.25;
#   4. compare.py on st3 for CogVideoX with what is left (>= 200 s).
# Prepare here: bash bench/results/round46/prepare.sh; then
#   run(command="BUDGET_S=<budget_left_s - 90, at most 560> bash bench/results/round46/run.sh",
#       carry=[".variants", ".whl/nvidia_cutlass-4.2.0.0-py3-none-any.whl"])
source bench/device_call.sh
start_call 560
python3 -m zipfile -e .whl/nvidia_cutlass-*.whl /tmp/cutlass_whl >/dev/null
# The traced tree builds its bench only, beside the two trees' full builds.
mkdir -p $OUT/trace
build_traced_bench .variants/steady-trace $OUT/trace 200 6 &
BUILD_RESERVE=300 build_trees st3
wait
echo "left after the traced build: $(left) s"
steady_trace() {  # name, keep
  local t; t=$(allow 200 15) || return; [ $t -gt 60 ] && t=60
  LITEATTN_TRACE_FILE=$OUT/trace/$1.bin timeout -k 5 $t .variants/steady-trace/build/tr/bench/liteattn_bench \
    --shapes 1x48x17776x64 --keep $2 --mask random --warmup 3 --settle-ms 3000 --iters 10 \
    > $OUT/trace/$1.txt 2>&1
  echo "steady trace $1 rc=$?"; grep -E "^ +[0-9]+ +[0-9]+ |rror|failed" $OUT/trace/$1.txt | tail -2; cleanup
}
if [ -x .variants/steady-trace/build/tr/bench/liteattn_bench ]; then
  nvidia-smi --query-gpu=timestamp,clocks.sm,power.draw,clocks_throttle_reasons.active --format=csv -lms 250 > $OUT/trace/smi.csv &
  SMI=$!
  steady_trace c_r100 1
  steady_trace c_r50 0.5
  steady_trace c_r25 0.25
  kill $SMI; gzip $OUT/trace/smi.csv
  ls $OUT/trace/*.bin >/dev/null 2>&1 &&
    timeout 60 python3 bench/results/next/trace_analysis.py $OUT/trace/*.bin 2>&1 | tee $OUT/trace/summary.txt |
      grep -E "bin:|loop:|whole tile|every row|SM clock|CTA end"
  gzip $OUT/trace/*.bin 2>/dev/null
fi
echo "left after the traces: $(left) s"
export CBENCH_ARGS="--shapes 1x48x17776x64 --keep 1,0.75,0.5,0.25 --mask random,skewed --iters 30 --adjacent-dense"
[ $(left) -gt 200 ] && cbench_both_orders .variants/main .variants/st3
compare_shape .variants/st3
echo "left at the end: $(left) s"
