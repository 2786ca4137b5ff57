# Round 39 (prepared in the eleventh session, 2026-12-07): the lazy output rescaling
# (0022) and 0019 + 0022 against main. Prepare here first:
#   bash bench/results/next/prepare_round39.sh
# then
#   run(command="BUDGET_S=<budget_left_s - 90, at most 560> bash bench/results/round39/run.sh",
#       carry=[".variants", ".whl/nvidia_cutlass-4.2.0.0-py3-none-any.whl"])
# In order of value, each step under the deadline (BUDGET_S seconds from the start):
#  1. builds main, lazy, tb1-lazy in parallel (~1 min);
#  2. GPU tests of lazy and tb1-lazy (the new growing-maxima test included);
#     sanitizers (memcheck, racecheck, synccheck) on tb1-lazy (it carries both changes;
#     its D = 128 kernel is lazy's);
#  3. the C++ bench on both shapes (lazy changes D = 64 and D = 128): main, every
#     candidate whose tests passed, main again; keep 1 / 0.5 / 0.25 / 0.1, random and
#     skewed, eff against a dense call timed right before each row; nvidia-smi alongside.
# Merge rule (per head dim: LITEATTN_TUNE_LAZY_RESCALE_<D> can turn it off at one): tests
# pass, sanitizers clean, the keep 1 / 0.5 / 0.25 / 0.1 rows faster than both runs of main
# on that shape (or within 0.5% on dense and faster on the others). Then compare.py on
# both shapes (bench/results/round35/run_compare.sh) in the next call.
set -u
export OUT
deadline=$((SECONDS + ${BUDGET_S:-560}))
source bench/device_call.sh  # left, allow, cleanup, pack, first
trap pack EXIT
candidates=(lazy tb1-lazy)
if t=$(allow 300 60); then
  timeout -k 5 $t bash bench/gpu_trees.sh build .variants/main "${candidates[@]/#/.variants/}"
fi
cleanup
for f in $OUT/*/round.tgz; do
  echo "$f: $(tar xzOf $f ./ptxas.txt 2>/dev/null | grep -o '[0-9]* bytes spill stores' | sort | uniq -c | tr -s '\n' ' ')"
done
echo "left after builds: $(left) s"
passed=()
for t in "${candidates[@]}"; do
  t_allow=$(allow 300 40) || break
  [ $t_allow -gt 100 ] && t_allow=100
  timeout -k 5 $t_allow bash bench/gpu_trees.sh stages test .variants/$t > $OUT/test_$t.log 2>&1
  rc=$?
  cleanup
  grep -E "=====|passed|failed|FAILED|rror|Timeout|timed out" $OUT/test_$t.log | first 8
  echo "$t: test rc=$rc"
  [ $rc -eq 0 ] && passed+=(.variants/$t)
done
if [[ " ${passed[*]:-} " == *" .variants/tb1-lazy "* ]] && t=$(allow 260 40); then
  [ $t -gt 150 ] && t=150
  timeout -k 5 $t bash bench/gpu_trees.sh stages sanitize .variants/tb1-lazy 2>&1 |
    grep -E "=====|SUMMARY|rror|failed|Timeout" | first 12
  cleanup
fi
echo "left after tests: $(left) s; passed: ${passed[*]:-none}"
nvidia-smi --query-gpu=timestamp,clocks.sm,power.draw,clocks_throttle_reasons.active --format=csv -lms 250 > $OUT/smi.csv &
SMI=$!
export CBENCH_ARGS="--shapes 1x48x17776x64,1x40x32760x128 --keep 1,0.5,0.25,0.1 --mask random,skewed --iters 30 --adjacent-dense"
if [ ${#passed[@]} -gt 0 ] && t=$(allow 15 30); then
  timeout -k 5 $t bash bench/gpu_trees.sh cbench .variants/main "${passed[@]}" >/dev/null  # main again at the end
  cleanup
fi
kill $SMI; gzip $OUT/smi.csv
grep -v "none\*" $OUT/cbench.log 2>/dev/null
echo "left at the end: $(left) s"
