# Round 34, third call: a second compare.py sample of the sparse rows on the same main
# (the board is power-capped; one run's eff moves by ~2%).
set -u
export OUT
python3 -m zipfile -e .whl/nvidia_cutlass-*.whl /tmp/cutlass_whl >/dev/null
bash bench/gpu_trees.sh build .variants/main | tail -1
(cd .variants/main && PYTHONPATH=python timeout 300 python3 bench/compare.py --sections sparse --keep 0.5,0.25,0.1 \
  --repeats 40 --max-seconds 3 --settle-seconds 0.3 --condition-seconds 0.3 \
  --sparse-shapes 1x40x32760x128,1x48x17776x64 --json $OUT/compare.json > $OUT/compare.log 2>&1)
grep -E "^ +(random|skewed)" $OUT/compare.log
cd $OUT && tar czf /tmp/all.tgz . && rm -rf ./* && mv /tmp/all.tgz . && ls
