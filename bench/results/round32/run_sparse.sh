# Round 32c: compare.py's sparse section at keep 0.25 and 0.1 on main with the
# conditioning load before every timed block (--condition-seconds), both shapes.
set -u
export OUT
bash bench/gpu_trees.sh build .variants/main | tail -1
cd .variants/main && PYTHONPATH=python timeout 280 python3 bench/compare.py --sections sparse --keep 0.25,0.1 \
  --repeats 40 --max-seconds 3 --settle-seconds 0.3 --condition-seconds 0.3 \
  --sparse-shapes 1x40x32760x128,1x48x17776x64 --json $OUT/compare.json 2>&1 | tee $OUT/compare.log | grep -E "^ +(random|skewed)|flex ms|==|n/a"
