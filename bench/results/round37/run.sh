# Round 37 (prepared in the tenth session, which got no device time: every start was
# refused). Prepare here first: bash bench/results/next/prepare_round37.sh; then
#   run(command="BUDGET_S=<budget_left_s - 90, at most 560> bash bench/results/round37/run.sh",
#       carry=[".variants", ".whl/nvidia_cutlass-4.2.0.0-py3-none-any.whl"])
# In order of value, each step under the deadline (BUDGET_S seconds from the start):
#  1. builds main, tb1, ex2-4, ex2-8, tb1-ex2 in parallel (~2 min);
#  2. GPU tests of every candidate; sanitizers (memcheck, racecheck, synccheck) on tb1-ex2,
#     which carries both changes (its D = 128 kernel is main's: these are also main's
#     first GPU tests on an H100);
#  3. the C++ bench on the CogVideoX shape (D = 64, the only one the candidates change):
#     main, then every candidate whose tests passed, then main again; keep 1 / 0.25 / 0.1,
#     random and skewed, the dense call timed next to every row (eff); nvidia-smi alongside;
#  4. main's own GPU tests if time is left.
# A hung step is killed with everything it started (cleanup), so it cannot keep the GPU
# busy under later timings. Merge rule: tests pass, sanitizers clean (tb1-ex2 covers both
# changes), keep-0.25 / 0.1 rows faster than both runs of main, dense not slower by > 1%.
set -u
export OUT
deadline=$((SECONDS + ${BUDGET_S:-560}))
source bench/device_call.sh  # left, allow, cleanup, pack, first
trap pack EXIT
candidates=(tb1 ex2-4 ex2-8 tb1-ex2)
if t=$(allow 300 60); then
  timeout -k 5 $t bash bench/gpu_trees.sh build .variants/main "${candidates[@]/#/.variants/}"
fi
cleanup
for f in $OUT/*/round.tgz; do
  echo "$f: $(tar xzOf $f ./ptxas.txt 2>/dev/null | grep -o '[0-9]* bytes spill stores' | sort | uniq -c | tr -s '\n' ' ')"
done
echo "left after builds: $(left) s"
passed=()
for t in tb1-ex2 tb1 ex2-4 ex2-8; do
  t_allow=$(allow 150 40) || break
  [ $t_allow -gt 100 ] && t_allow=100
  timeout -k 5 $t_allow bash bench/gpu_trees.sh stages test .variants/$t > $OUT/test_$t.log 2>&1
  rc=$?
  cleanup
  grep -E "=====|passed|failed|FAILED|rror|Timeout|timed out" $OUT/test_$t.log | first 8
  echo "$t: test rc=$rc"
  [ $rc -eq 0 ] && passed+=(.variants/$t)
done
if [[ " ${passed[*]:-} " == *" .variants/tb1-ex2 "* ]] && t=$(allow 130 40); then
  [ $t -gt 150 ] && t=150
  timeout -k 5 $t bash bench/gpu_trees.sh stages sanitize .variants/tb1-ex2 2>&1 |
    grep -E "=====|SUMMARY|rror|failed|Timeout" | first 12
  cleanup
fi
echo "left after tests: $(left) s; passed: ${passed[*]:-none}"
nvidia-smi --query-gpu=timestamp,clocks.sm,power.draw,clocks_throttle_reasons.active --format=csv -lms 250 > $OUT/smi.csv &
SMI=$!
export CBENCH_ARGS="--shapes 1x48x17776x64 --keep 1,0.25,0.1 --mask random,skewed --iters 40 --adjacent-dense"
if t=$(allow 15 30); then
  timeout -k 5 $t bash bench/gpu_trees.sh cbench .variants/main "${passed[@]}" >/dev/null
  cleanup
fi
kill $SMI; gzip $OUT/smi.csv
grep -v "none\*" $OUT/cbench.log 2>/dev/null
echo "left after cbench: $(left) s"
if t=$(allow 10 50); then
  timeout -k 5 $t bash bench/gpu_trees.sh stages test .variants/main 2>&1 |
    grep -E "=====|passed|failed|FAILED|rror|Timeout|timed out" | first 6
fi
echo "left at the end: $(left) s"
