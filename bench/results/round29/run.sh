# Round 29 (seventh session): main vs next/finished-rows-tile. Build both; GPU tests and
# sanitizers on finished-rows-tile; C++ bench with --adjacent-dense twice (order swapped),
# nvidia-smi sampled alongside.
set -u
bash bench/gpu_trees.sh build .variants/main .variants/next-finished-rows-tile
grep -h -i -E "spill|Used [0-9]+ registers" $OUT/*/ptxas.txt 2>/dev/null | sort | uniq -c | head -20
bash bench/gpu_trees.sh stages "test sanitize" .variants/next-finished-rows-tile 2>&1 | grep -E "passed|failed|FAILED|SUMMARY|rror|agreement" | head -20
nvidia-smi --query-gpu=timestamp,clocks.sm,power.draw,clocks_throttle_reasons.active --format=csv -lms 250 > $OUT/smi.csv &
SMI=$!
export CBENCH_ARGS="--shapes 1x48x17776x64,1x40x32760x128 --keep 1,0.25,0.1 --mask random,skewed --iters 50 --adjacent-dense"
bash bench/gpu_trees.sh cbench .variants/next-finished-rows-tile .variants/main >/dev/null; cp $OUT/cbench.log $OUT/cb1.log
bash bench/gpu_trees.sh cbench .variants/main .variants/next-finished-rows-tile >/dev/null; cp $OUT/cbench.log $OUT/cb2.log
kill $SMI
cat $OUT/cb1.log $OUT/cb2.log
cd $OUT && tar czf /tmp/all.tgz . && rm -rf ./* && mv /tmp/all.tgz . && ls
