# Sourced by run_revbins.sh and gpu_trees.sh: one liteattn_bench run appended to a log, as
# a header line, the result rows (and any error line), and on failure its exit code and
# last lines. Returns the run's exit code.
#   bench_once LOG LABEL BINARY BENCH_ARGS...
bench_once() {
  local log=$1 label=$2 bin=$3 rc=0
  shift 3
  echo "===== $label: $*" | tee -a "$log"
  timeout 180 "$bin" "$@" >"$log.run" 2>&1 ||
    { rc=$?; echo "$label: failed, rc=$rc" | tee -a "$log"; tail -3 "$log.run"; }
  grep -E "^ +[0-9]+ +[0-9]+ |rror" "$log.run" | tee -a "$log"
  rm -f "$log.run"
  return $rc
}
