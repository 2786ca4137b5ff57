# Round 36, lean (device time short after many refused starts): main and tb1 only.
# tb1's GPU tests (its D = 128 kernel is main's), the C++ bench main / tb1 / main on
# the CogVideoX shape, then tb1's sanitizers with whatever time is left. One archive back.
set -u
export OUT
deadline=$((SECONDS + ${BUDGET_S:-400}))
left() { echo $((deadline - SECONDS)); }
pack() { cd $OUT && tar czf /tmp/all.tgz . && rm -rf ./* && mv /tmp/all.tgz . && ls; }
trap pack EXIT
bash bench/gpu_trees.sh build .variants/main .variants/tb1
grep -H "spill stores" $OUT/*/ptxas.txt | sort | uniq -c
echo "left after builds: $(left) s"
timeout $(( $(left) - 60 )) bash bench/gpu_trees.sh stages test .variants/tb1 2>&1 |
  grep -E "=====|passed|failed|FAILED|rror|Timeout|timed out" | head -20
echo "left after tests: $(left) s"
export CBENCH_ARGS="--shapes 1x48x17776x64 --keep ${CB_KEEP:-1,0.25,0.1} --mask random,skewed --iters 40 --adjacent-dense ${CB_EXTRA:-}"
timeout $(( $(left) - 10 )) bash bench/gpu_trees.sh cbench .variants/main .variants/tb1 >/dev/null
grep -v "none\*" $OUT/cbench.log
echo "left after cbench: $(left) s"
[ $(left) -gt 40 ] && timeout $(( $(left) - 10 )) bash bench/gpu_trees.sh stages sanitize .variants/tb1 2>&1 |
  grep -E "=====|SUMMARY|rror|failed|Timeout" | head -10
echo "left at the end: $(left) s"
