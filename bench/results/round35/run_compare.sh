# Round 35 (ninth session): compare.py on main's final kernel with as many timed blocks as
# it takes to put every runner at every place in the rotation (--blocks 10 = 2 x 5
# runners), with shorter conditioning and settling so that both shapes fit one call.
# Why: rounds 33-34 timed 2 blocks of 20 calls per runner, and the two block medians of
# one runner differ by up to 10% (Wan 480p keep 0.1 without decisions: 4.17 ms in block 0,
# where it runs first, against 3.73 in block 1), so a row's median was decided by places.
#   [TREE=.variants/NAME] [BLOCKS=10] bash bench/results/round35/run_compare.sh SHAPE:TIMEOUT_S...
# BLOCKS (round 52) scales the timed blocks; each keeps 4 calls a runner (--repeats and
# --max-seconds grow with it).
set -u
export OUT
python3 -m zipfile -e .whl/nvidia_cutlass-*.whl /tmp/cutlass_whl >/dev/null
bash bench/gpu_trees.sh build ${TREE:-.variants/main} | tail -1
nvidia-smi --query-gpu=timestamp,clocks.sm,power.draw,clocks_throttle_reasons.active --format=csv -lms 250 > $OUT/smi.csv &
SMI=$!
for job in "$@"; do
  shape=${job%%:*}; limit=${job##*:}
  (cd ${TREE:-.variants/main} && PYTHONPATH=python PYTHONUNBUFFERED=1 timeout $limit python3 bench/compare.py \
    --blocks ${BLOCKS:-10} --repeats $((4 * ${BLOCKS:-10})) --max-seconds $(awk "BEGIN { print 0.12 * ${BLOCKS:-10} }") --settle-seconds 0.15 --condition-seconds 0.1 \
    --shapes $shape --sparse-shapes $shape --json $OUT/compare_$shape.json > $OUT/compare_$shape.log 2>&1)
  echo "== $shape rc=$?"
  grep -E "^\s+(random|skewed)|liteattn |cudnn|flex |none|skip_|both" $OUT/compare_$shape.log | head -40
done
kill $SMI
cd $OUT && gzip smi.csv && tar czf /tmp/all.tgz . && rm -rf ./* && mv /tmp/all.tgz . && ls
