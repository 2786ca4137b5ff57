# Round 54, second call, on the machine warm from run.sh and without carry (so that the
# trees it built stay): the sanitizers of the candidates whose GPU tests passed (PASSED,
# e.g. "hybrob": its stack holds hyb's code, so one sanitizer run covers both; name hyb
# too only if hybrob failed), then compare.py on COMPARE_TREE (default hyb; hybrob when
# it passed; COMPARE_TREE= for none) at CogVideoX's shape.
#   run(command="PASSED='hybrob' COMPARE_TREE=hybrob BUDGET_S=<budget_left_s - 60, at most 560> bash bench/results/round54/run_b.sh",
#       kind="nvidia-h100-x1")
source bench/device_call.sh
start_call 560
[ -x .variants/main/build/dev/bench/liteattn_bench ] || { echo "no built trees here: run run.sh first"; exit 1; }
passed=()
for t in ${PASSED:-}; do passed+=(.variants/$t); done
for t in ${PASSED:-}; do sanitize_if_passed 160 $t; done
[ -n "${COMPARE_TREE-hyb}" ] && compare_shape .variants/${COMPARE_TREE-hyb} 1x48x17776x64 300
echo "left at the end: $(left) s"
