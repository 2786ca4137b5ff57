# Round 30 (seventh session): main with finished-rows-tile merged. Build, GPU tests, the
# per-call timeline (profile_call.py), then compare.py on both shapes with nvidia-smi.
set -u
export OUT
bash bench/gpu_round.sh build test > $OUT/build_test.txt 2>&1; tail -3 $OUT/build_test.txt
(cd $OUT && tar xzf round.tgz && rm round.tgz)
grep -iE "spill" $OUT/ptxas.txt | sort | uniq -c
PYTHONPATH=python timeout 120 python3 bench/profile_call.py > $OUT/profile_call.txt 2>&1; cat $OUT/profile_call.txt | tail -30
nvidia-smi --query-gpu=timestamp,clocks.sm,power.draw,clocks_throttle_reasons.active --format=csv -lms 250 > $OUT/smi.csv &
SMI=$!
BENCH_ARGS="--repeats 60 --max-seconds 6 --settle-seconds 0.3 --shapes 1x40x32760x128,1x48x17776x64 --sparse-shapes 1x40x32760x128,1x48x17776x64" \
  OUT=$OUT/bench bash bench/gpu_round.sh bench > $OUT/bench_stage.txt 2>&1
kill $SMI
(cd $OUT/bench && tar xzf round.tgz && rm round.tgz)
grep -E "^\s+(random|skewed)|liteattn |cudnn|flex |none|skip_|both" $OUT/bench/compare.log | head -60
cd $OUT && gzip smi.csv && tar czf /tmp/all.tgz . && rm -rf ./* && mv /tmp/all.tgz . && ls
