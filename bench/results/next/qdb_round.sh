# Ready for the next session's first device call (~8 min): main and next/qdb-deferred
# (patch 0013). Prepare here first:
#   bash bench/gpu_trees.sh prepare main next/qdb-deferred
# then run with carry [".variants", ".whl/nvidia_cutlass-4.2.0.0-py3-none-any.whl"].
set -u
export OUT
python3 -m zipfile -e .whl/nvidia_cutlass-*.whl /tmp/cutlass_whl >/dev/null  # once, before the parallel builds
bash bench/gpu_trees.sh build .variants/main .variants/next-qdb-deferred
grep -h -iE "spill stores" $OUT/*/ptxas.txt 2>/dev/null | sort | uniq -c
bash bench/gpu_trees.sh stages "test sanitize" .variants/next-qdb-deferred 2>&1 | grep -E "passed|failed|FAILED|SUMMARY|rror|agreement" | head -20
nvidia-smi --query-gpu=timestamp,clocks.sm,power.draw,clocks_throttle_reasons.active --format=csv -lms 250 > $OUT/smi.csv &
SMI=$!
export CBENCH_ARGS="--shapes 1x40x32760x128,1x48x17776x64 --keep 1,0.25,0.1 --mask random,skewed --iters 50 --adjacent-dense"
bash bench/gpu_trees.sh cbench .variants/next-qdb-deferred .variants/main >/dev/null; cp $OUT/cbench.log $OUT/cb1.log
(cd .variants/next-qdb-deferred && PYTHONPATH=python timeout 200 python3 bench/compare.py --sections sparse --keep 0.25,0.1 \
  --repeats 40 --max-seconds 3 --settle-seconds 0.3 --condition-seconds 0.3 \
  --sparse-shapes 1x40x32760x128,1x48x17776x64 --json $OUT/compare_qdb.json > $OUT/compare_qdb.log 2>&1)
kill $SMI
cat $OUT/cb1.log | grep -v "none\*"; grep -E "^ +(random|skewed)" $OUT/compare_qdb.log
cd $OUT && gzip smi.csv && tar czf /tmp/all.tgz . && rm -rf ./* && mv /tmp/all.tgz . && ls
