# Round 55, second call, on the machine run.sh left warm (the built trees are there):
# the sanitizers of the trees in PASSED (e.g. PASSED=rob), then compare.py on
# COMPARE_TREE (empty: none) for COMPARE_SHAPE (default Wan 2.1 480p).
source bench/device_call.sh
start_call 560
[ -x .variants/main/build/dev/bench/liteattn_bench ] || { echo "no built trees here: run run.sh first"; exit 1; }
passed=()
for t in ${PASSED:-}; do passed+=(.variants/$t); done
for t in ${PASSED:-}; do sanitize_if_passed 160 $t; done
[ -n "${COMPARE_TREE:-}" ] && compare_shape .variants/$COMPARE_TREE ${COMPARE_SHAPE:-1x40x32760x128} 380
echo "left at the end: $(left) s"
