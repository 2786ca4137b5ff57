# Round 37 (prepared in the tenth session, which got no device time: every start was
# refused). Prepare here first: bash bench/results/next/prepare_round37.sh; then
#   run(command="bash bench/results/round37/run.sh",
#       carry=[".variants", ".whl/nvidia_cutlass-4.2.0.0-py3-none-any.whl"])
# What it does, in order of value, each step under a deadline (BUDGET_S, default 560 s):
#  1. builds main, tb1, ex2-4, ex2-8, tb1-ex2 in parallel (~2-3 min);
#  2. GPU tests of every candidate, sanitizers (memcheck, racecheck, synccheck) on tb1-ex2
#     (it carries both changes; its D = 128 kernel is main's, so these are also main's
#     first GPU tests on an H100);
#  3. the C++ bench on the CogVideoX shape (D = 64, the only one the candidates change):
#     main, tb1, ex2-4, ex2-8, tb1-ex2, main again, keep 1 / 0.25 / 0.1, random and skewed,
#     the dense call timed next to every row (eff), nvidia-smi alongside;
#  4. main's own GPU tests if time is left.
# Merge rule: a candidate whose tests pass, sanitizers are clean (or that is covered by
# tb1-ex2's) and whose keep-0.25 / 0.1 rows beat both runs of main without a dense loss
# (> 1%). Then compare.py on both shapes in a later call for RESULTS.md.
set -u
export OUT
deadline=$((SECONDS + ${BUDGET_S:-560}))
left() { echo $((deadline - SECONDS)); }
pack() { cd $OUT && tar czf /tmp/all.tgz . && rm -rf ./* && mv /tmp/all.tgz . && ls; }
trap pack EXIT
candidates=(.variants/tb1 .variants/ex2-4 .variants/ex2-8 .variants/tb1-ex2)
python3 -m zipfile -e .whl/nvidia_cutlass-*.whl /tmp/cutlass_whl >/dev/null
bash bench/gpu_trees.sh build .variants/main "${candidates[@]}"
grep -H "spill stores" $OUT/*/ptxas.txt | sort | uniq -c
echo "left after builds: $(left) s"
timeout $(( $(left) - 200 )) bash bench/gpu_trees.sh stages "test sanitize" .variants/tb1-ex2 2>&1 |
  grep -E "=====|passed|failed|FAILED|SUMMARY|rror|Timeout|timed out" | head -20
for t in tb1 ex2-4 ex2-8; do
  [ $(left) -gt 150 ] || break
  timeout 90 bash bench/gpu_trees.sh stages test .variants/$t 2>&1 |
    grep -E "=====|passed|failed|FAILED|rror|Timeout|timed out" | head -6
done
echo "left after tests: $(left) s"
nvidia-smi --query-gpu=timestamp,clocks.sm,power.draw,clocks_throttle_reasons.active --format=csv -lms 250 > $OUT/smi.csv &
SMI=$!
export CBENCH_ARGS="--shapes 1x48x17776x64 --keep 1,0.25,0.1 --mask random,skewed --iters 40 --adjacent-dense"
timeout $(( $(left) - 15 )) bash bench/gpu_trees.sh cbench .variants/main "${candidates[@]}" >/dev/null
kill $SMI; gzip $OUT/smi.csv
grep -v "none\*" $OUT/cbench.log
echo "left after cbench: $(left) s"
if [ $(left) -gt 60 ]; then
  timeout $(( $(left) - 10 )) bash bench/gpu_trees.sh stages test .variants/main 2>&1 |
    grep -E "=====|passed|failed|FAILED|rror|Timeout|timed out" | head -6
fi
echo "left at the end: $(left) s"
