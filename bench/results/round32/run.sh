# Round 32 (seventh session): main (one-kernel tile order) and a traced copy of it
# (exp/trace-7 = main + the round-25 tracer). Trace Wan 480p (D=128) at keep 1 / 0.25 /
# 0.1; then compare.py on main, both shapes, with nvidia-smi sampled.
set -u
export OUT
mkdir -p $OUT/trace
( TRACE_TREE=exp-trace-7 OUT=$OUT/trace bash bench/results/round32/trace_wan.sh > $OUT/trace/run.txt 2>&1 ) &
bash bench/gpu_trees.sh build .variants/main
wait
cat $OUT/trace/run.txt | tail -8
python3 bench/results/round25/trace_analysis.py $OUT/trace/*.bin > $OUT/trace/summary.txt 2>&1; cat $OUT/trace/summary.txt
gzip $OUT/trace/*.bin
nvidia-smi --query-gpu=timestamp,clocks.sm,power.draw,clocks_throttle_reasons.active --format=csv -lms 250 > $OUT/smi.csv &
SMI=$!
(cd .variants/main && BENCH_ARGS="--repeats 60 --max-seconds 6 --settle-seconds 0.3 --shapes 1x40x32760x128,1x48x17776x64 --sparse-shapes 1x40x32760x128,1x48x17776x64" \
  OUT=$OUT/bench bash bench/gpu_round.sh bench > $OUT/bench_stage.txt 2>&1)
kill $SMI
(cd $OUT/bench && tar xzf round.tgz && rm round.tgz)
grep -E "^\s+(random|skewed)|liteattn |cudnn|flex |none|skip_|both" $OUT/bench/compare.log | head -60
cd $OUT && gzip smi.csv && tar czf /tmp/all.tgz . && rm -rf ./* && mv /tmp/all.tgz . && ls
