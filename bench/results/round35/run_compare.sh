# Round 35 (ninth session): compare.py on main's final kernel, one shape a call, with as
# many timed blocks as it takes to put every runner at every place in the rotation
# (--blocks 10 = 2 x 5 runners), shorter conditioning and settling so that this fits a
# call. Why: rounds 33-34 timed 2 blocks of 20 calls per runner, and the block medians
# differ by up to 10% (Wan 480p keep 0.1 without decisions: 4.17 ms in block 0, where it
# runs first, against 3.73 in block 1), so a row's median was decided by its place.
#   bash bench/results/round35/run_compare.sh SHAPE [cbench]
set -u
export OUT
shape=$1
python3 -m zipfile -e .whl/nvidia_cutlass-*.whl /tmp/cutlass_whl >/dev/null
bash bench/gpu_trees.sh build .variants/main | tail -1
nvidia-smi --query-gpu=timestamp,clocks.sm,power.draw,clocks_throttle_reasons.active --format=csv -lms 250 > $OUT/smi.csv &
SMI=$!
(cd .variants/main && PYTHONPATH=python PYTHONUNBUFFERED=1 timeout ${COMPARE_TIMEOUT:-420} python3 bench/compare.py \
  --blocks 10 --repeats 40 --max-seconds 1.2 --settle-seconds 0.15 --condition-seconds 0.1 \
  --shapes $shape --sparse-shapes $shape --json $OUT/compare.json > $OUT/compare.log 2>&1)
grep -E "^\s+(random|skewed)|liteattn |cudnn|flex |none|skip_|both" $OUT/compare.log | head -40
if [ "${2:-}" = cbench ]; then
  source bench/bench_once.sh
  for dec in "" "--decisions"; do
    bench_once "$OUT/cbench.log" "main ${dec:-no decisions}" .variants/main/build/dev/bench/liteattn_bench \
      --shapes 1x40x32760x128,1x48x17776x64 --keep 1,0.75,0.5,0.25,0.1 --mask random,skewed \
      --iters 40 --adjacent-dense $dec >/dev/null
  done
  grep -v "none\*" $OUT/cbench.log
fi
kill $SMI
cd $OUT && gzip smi.csv && tar czf /tmp/all.tgz . && rm -rf ./* && mv /tmp/all.tgz . && ls
