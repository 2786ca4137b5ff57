# Round 34 (eighth session), second call: compare.py, every section, on main after merging
# next/producer-lookahead, with nvidia-smi.
set -u
export OUT
python3 -m zipfile -e .whl/nvidia_cutlass-*.whl /tmp/cutlass_whl >/dev/null
bash bench/gpu_trees.sh build .variants/main | tail -1
nvidia-smi --query-gpu=timestamp,clocks.sm,power.draw,clocks_throttle_reasons.active --format=csv -lms 250 > $OUT/smi.csv &
SMI=$!
(cd .variants/main && PYTHONPATH=python timeout 500 python3 bench/compare.py \
  --repeats 40 --max-seconds 3 --settle-seconds 0.3 --condition-seconds 0.3 \
  --shapes 1x40x32760x128,1x48x17776x64 --sparse-shapes 1x40x32760x128,1x48x17776x64 \
  --json $OUT/compare.json > $OUT/compare.log 2>&1)
kill $SMI
grep -E "^\s+(random|skewed)|liteattn |cudnn|flex |none|skip_|both" $OUT/compare.log | head -70
cd $OUT && gzip smi.csv && tar czf /tmp/all.tgz . && rm -rf ./* && mv /tmp/all.tgz . && ls
