# The next session's first device call (prepared in the eighth session, 2026-11-30): the
# final kernel (main) has not been through compare.py yet. Prepare here first:
#   bash bench/gpu_trees.sh prepare main next/producer-loop-simple
# then run with carry [".variants", ".whl/nvidia_cutlass-4.2.0.0-py3-none-any.whl"]:
#   bash bench/results/next/next_round.sh measure   # ~7-8 min: build, compare.py (all
#       sections), C++ bench without and with decisions at every keep, nvidia-smi
#   bash bench/results/next/next_round.sh positions # ~3 min: compare.py's Wan 480p keep
#       0.1 rows with --blocks 10 (every runner at every place in the rotation)
#   bash bench/results/next/next_round.sh check     # ~3 min, prepare next/producer-loop-simple
#       too: its GPU tests and sanitizers, then the C++ bench against main. It is main's
#       producer loop written as simply as the merged (late) lookups allow, without main's
#       4-byte spill at D=128; the same behaviour, so merge it once it passes and does not
#       measure slower, then run `measure` on the merged main.
# The two C++ runs answer whether decisions really cost 2-7% at CogVideoX keep 0.5-0.75
# and whether Wan 480p keep 0.1 without decisions is really slower than with (compare.py
# rounds 33-34 read both; RESULTS.md, eighth session).
set -u
export OUT
if [ "${1:-}" = measure ]; then
  python3 -m zipfile -e .whl/nvidia_cutlass-*.whl /tmp/cutlass_whl >/dev/null
  bash bench/gpu_trees.sh build .variants/main | tail -1
  grep -h "spill stores" $OUT/main/ptxas.txt 2>/dev/null | sort | uniq -c
  nvidia-smi --query-gpu=timestamp,clocks.sm,power.draw,clocks_throttle_reasons.active --format=csv -lms 250 > $OUT/smi.csv &
  SMI=$!
  (cd .variants/main && PYTHONPATH=python timeout 330 python3 bench/compare.py \
    --repeats 40 --max-seconds 3 --settle-seconds 0.3 --condition-seconds 0.3 \
    --shapes 1x40x32760x128,1x48x17776x64 --sparse-shapes 1x40x32760x128,1x48x17776x64 \
    --json $OUT/compare.json > $OUT/compare.log 2>&1)
  grep -E "^\s+(random|skewed)|liteattn |cudnn|flex |none|skip_|both" $OUT/compare.log | head -70
  source bench/bench_once.sh
  for dec in "" "--decisions" ""; do  # without, with, without again (drift)
    bench_once "$OUT/cbench.log" "main ${dec:-no decisions}" .variants/main/build/dev/bench/liteattn_bench \
      --shapes 1x40x32760x128,1x48x17776x64 --keep 1,0.75,0.5,0.25,0.1 --mask random,skewed \
      --iters 40 --adjacent-dense $dec >/dev/null
  done
  grep -v "none\*" $OUT/cbench.log
  kill $SMI
  cd $OUT && gzip smi.csv && tar czf /tmp/all.tgz . && rm -rf ./* && mv /tmp/all.tgz . && ls
elif [ "${1:-}" = check ]; then
  python3 -m zipfile -e .whl/nvidia_cutlass-*.whl /tmp/cutlass_whl >/dev/null
  bash bench/gpu_trees.sh build .variants/main .variants/next-producer-loop-simple
  grep -H "spill stores" $OUT/*/ptxas.txt | sort | uniq -c
  bash bench/gpu_trees.sh stages "test sanitize" .variants/next-producer-loop-simple 2>&1 |
    grep -E "=====|passed|failed|FAILED|SUMMARY|rror|Timeout|timed out" | head -14
  export CBENCH_ARGS="--shapes 1x40x32760x128,1x48x17776x64 --keep 1,0.25,0.1 --mask random,skewed --iters 40 --adjacent-dense --decisions"
  bash bench/gpu_trees.sh cbench .variants/main .variants/next-producer-loop-simple >/dev/null
  grep -v "none\*" $OUT/cbench.log
  cd $OUT && tar czf /tmp/all.tgz . && rm -rf ./* && mv /tmp/all.tgz . && ls
elif [ "${1:-}" = positions ]; then
  python3 -m zipfile -e .whl/nvidia_cutlass-*.whl /tmp/cutlass_whl >/dev/null
  bash bench/gpu_trees.sh build .variants/main | tail -1
  (cd .variants/main && PYTHONPATH=python timeout 400 python3 bench/compare.py --sections sparse \
    --keep 0.1 --blocks 10 --repeats 40 --max-seconds 3 --settle-seconds 0.3 \
    --condition-seconds 0.3 --sparse-shapes 1x40x32760x128 --json $OUT/positions.json \
    > $OUT/positions.log 2>&1)
  grep -E "^ +(random|skewed)" $OUT/positions.log
fi
