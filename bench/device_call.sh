# Sourced by the scripts of one device call (bench/results/round*/run.sh,
# bench/results/next/next_round.sh): what every such call needs around its steps.
# The device returns at most 8 files from $OUT, so everything goes back as one archive.
#   source bench/device_call.sh; start_call DEFAULT_SECONDS
# The opening of every device call: unset variables are errors, $OUT reaches the steps'
# children, the deadline is $BUDGET_S seconds away (or the script's default, $1), and
# whatever is under $OUT goes back as one archive however the script ends.
start_call() {
  set -u
  export OUT
  deadline=$((SECONDS + ${BUDGET_S:-$1}))
  trap pack EXIT
}
left() { echo $((deadline - SECONDS)); }
# Seconds a step may take: what is left minus `reserve` ($1), or fail if under `minimum`
# ($2, default 20), so that no timeout goes to 0 (no limit) or negative.
allow() { local t=$(( $(left) - $1 )); [ $t -ge ${2:-20} ] && echo $t; }
# A step killed by its timeout leaves its children (timeout puts them in their own
# process group): kill them, so that no hung kernel runs under the next step's timings.
cleanup() { pkill -9 -f pytest; pkill -9 -f compute-sanitizer; pkill -9 -f sanitize_shapes;
            pkill -9 -f liteattn_bench; pkill -9 -f ninja; sleep 1; } 2>/dev/null
# Everything under $OUT as all.tgz; a tar warning (a file still being written) must not
# leave the files loose.
pack() {
  kill ${SMI:-} 2>/dev/null; cleanup
  cd "$OUT" || return
  tar czf /tmp/all.tgz --exclude=./all.tgz . ; [ -s /tmp/all.tgz ] && rm -rf ./* && mv /tmp/all.tgz .
  ls -la
}
first() { sed -n "1,${1}p"; }  # unlike head, reads to the end: no SIGPIPE into the step

# The steps of a candidates round (round37, round39), each under the deadline.
# Builds main and the named trees of .variants in parallel, then each tree's spill count.
build_trees() {
  local t
  if t=$(allow ${BUILD_RESERVE:-300} 60); then
    timeout -k 5 $t bash bench/gpu_trees.sh build .variants/main "${@/#/.variants/}"
  fi
  cleanup
  for f in $OUT/*/round.tgz; do
    echo "$f: $(tar xzOf $f ./ptxas.txt 2>/dev/null | grep -o '[0-9]* bytes spill stores' | sort | uniq -c | tr -s '\n' ' ')"
  done
  echo "left after builds: $(left) s"
}
# GPU tests of each named tree in turn (at most TEST_CAP s each, default 100), keeping
# `reserve` ($1) seconds for the later steps; the trees that pass go into the array `passed`.
test_each() {
  local reserve=$1 t t_allow rc
  shift
  passed=()
  for t in "$@"; do
    t_allow=$(allow $reserve 40) || break
    [ $t_allow -gt ${TEST_CAP:-100} ] && t_allow=${TEST_CAP:-100}
    timeout -k 5 $t_allow bash bench/gpu_trees.sh stages test .variants/$t > $OUT/test_$t.log 2>&1
    rc=$?
    cleanup
    grep -E "=====|passed|failed|FAILED|rror|Timeout|timed out" $OUT/test_$t.log | first 8
    echo "$t: test rc=$rc"
    [ $rc -eq 0 ] && passed+=(.variants/$t)
  done
}
# The sanitizers on tree $2 (at most 150 s) if its tests passed, keeping `reserve` ($1).
sanitize_if_passed() {
  local t
  if [[ " ${passed[*]:-} " == *" .variants/$2 "* ]] && t=$(allow $1 40); then
    [ $t -gt 150 ] && t=150
    timeout -k 5 $t bash bench/gpu_trees.sh stages sanitize .variants/$2 2>&1 |
      grep -E "=====|SUMMARY|rror|failed|Timeout" | first 12
    cleanup
  fi
  echo "left after tests: $(left) s; passed: ${passed[*]:-none}"
}
# The sanitizers of the named trees, whose tests passed in an earlier call of the same
# round (a run_b.sh on the machine run.sh left warm: PASSED="tree ..."), keeping `reserve`
# ($1) seconds for the later steps.
sanitize_passed_earlier() {
  local reserve=$1 t
  shift
  passed=("${@/#/.variants/}")
  for t in "$@"; do sanitize_if_passed $reserve $t; done
}
# The C++ bench (CBENCH_ARGS) of the given trees, the first again at the end, with
# nvidia-smi sampling alongside.
cbench_trees() {
  local t
  nvidia-smi --query-gpu=timestamp,clocks.sm,power.draw,clocks_throttle_reasons.active --format=csv -lms 250 > $OUT/smi.csv &
  SMI=$!
  if t=$(allow 15 30); then
    timeout -k 5 $t bash bench/gpu_trees.sh cbench "$@" >/dev/null
    cleanup
  fi
  kill $SMI; gzip $OUT/smi.csv
  grep -v "none\*" $OUT/cbench.log 2>/dev/null
}
# Candidates ($2...) against a base tree ($1) in both call orders: as given (base,
# cands..., base), then, if CBENCH_RESERVE (default 120) s are left, reversed (the last
# cand first and again at the end); logs kept as cbench_<first>_first.log, and the merge
# rule of each candidate over both (bench/results/next/cbench_ratio.py, into ratio.txt).
# Why: within one call the later runs of a tree drift slower as the card heats, so one
# order alone can show a gain that is not there (rounds 40-41).
cbench_both_orders() {
  local i cand order
  local -a reversed=()
  for ((i = $#; i >= 1; i--)); do reversed+=("${!i}"); done
  for order in "$*" "${reversed[*]}"; do
    [ "$order" = "${reversed[*]}" ] && [ $(left) -le ${CBENCH_RESERVE:-120} ] && break
    cbench_trees $order
    mv $OUT/cbench.log $OUT/cbench_$(basename "${order%% *}")_first.log
    mv $OUT/smi.csv.gz $OUT/smi_$(basename "${order%% *}")_first.csv.gz
  done
  for cand in "${@:2}"; do
    python3 bench/results/next/cbench_ratio.py --base "$(basename "$1")" --cand "$(basename "$cand")" \
      $OUT/cbench_*_first.log
  done | tee $OUT/ratio.txt
}

# compare.py (round35/run_compare.sh) on tree $1 for shape $2 (default CogVideoX's), if
# 200 s are left (at most $3 s, default 240); results under $OUT/compare.
compare_shape() {
  local t
  t=$(allow 10 200) || return 0
  [ $t -gt ${3:-240} ] && t=${3:-240}
  mkdir -p $OUT/compare
  OUT=$OUT/compare TREE=$1 bash bench/results/round35/run_compare.sh ${2:-1x48x17776x64}:$((t - 15))
}
# One candidate against main (rounds 43, 45): builds main and .variants/$1; the
# candidate's GPU tests and sanitizers; if they pass, the C++ bench (CBENCH_ARGS) in both
# call orders and compare.py on it.
candidate_round() {
  BUILD_RESERVE=300 build_trees $1
  test_each 240 $1
  sanitize_if_passed 200 $1
  [[ " ${passed[*]:-} " == *" .variants/$1 "* ]] || return 0
  cbench_both_orders .variants/main .variants/$1
  compare_shape .variants/$1
}
# The C++ bench of tree $1 built with -DLITEATTN_TRACE (trace.patch) in $1/build/tr, logs
# in the absolute folder $2, each cmake step under $3 s, ninja -j $4 (traced trees build
# beside others: round42/run_trace.sh, round46/run.sh). Needs /tmp/cutlass_whl.
build_traced_bench() {
  ( cd $1 && timeout $3 cmake -S . -B build/tr -G Ninja -DCMAKE_BUILD_TYPE=Release \
      -DCUTLASS_DIR=/tmp/cutlass_whl/cutlass_library/source -DCMAKE_CUDA_FLAGS=-DLITEATTN_TRACE \
      -DPython3_EXECUTABLE=$(command -v python3) -Dpybind11_DIR=$(python3 -m pybind11 --cmakedir) \
      > $2/cmake.log 2>&1 &&
    timeout $3 cmake --build build/tr -j $4 --target liteattn_bench > $2/build.log 2>&1 ||
    tail -n 30 $2/cmake.log $2/build.log )
}
