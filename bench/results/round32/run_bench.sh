# Round 32b: round 32's compare.py part again (in run.sh the traced build and this tree's
# build unpacked the cutlass wheel at the same time; this tree's build failed on it).
set -u
export OUT
bash bench/gpu_trees.sh build .variants/main | tail -2
nvidia-smi --query-gpu=timestamp,clocks.sm,power.draw,clocks_throttle_reasons.active --format=csv -lms 250 > $OUT/smi.csv &
SMI=$!
(cd .variants/main && BENCH_ARGS="--repeats 60 --max-seconds 6 --settle-seconds 0.3 --shapes 1x40x32760x128,1x48x17776x64 --sparse-shapes 1x40x32760x128,1x48x17776x64" \
  OUT=$OUT/bench bash bench/gpu_round.sh bench > $OUT/bench_stage.txt 2>&1)
kill $SMI
(cd $OUT/bench && tar xzf round.tgz && rm round.tgz)
grep -E "^\s+(random|skewed)|liteattn |cudnn|flex |none|skip_|both" $OUT/bench/compare.log | head -60
cd $OUT && gzip smi.csv && tar czf /tmp/all.tgz . && rm -rf ./* && mv /tmp/all.tgz . && ls
