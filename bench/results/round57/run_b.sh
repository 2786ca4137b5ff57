# Round 57, second call, on the machine run.sh left warm (the built trees are there):
# the sanitizers of the trees in PASSED (e.g. PASSED=floor), then compare.py on
# COMPARE_TREE (default main; empty: none) for CogVideoX, which last ran on round 52's
# kernel (Wan 480p ran on today's kernel in round 55).
source bench/device_call.sh
start_call 560
[ -x .variants/main/build/dev/bench/liteattn_bench ] || { echo "no built trees here: run run.sh first"; exit 1; }
sanitize_passed_earlier 220 ${PASSED:-}
[ -n "${COMPARE_TREE-main}" ] && compare_shape .variants/${COMPARE_TREE-main} 1x48x17776x64 380
echo "left at the end: $(left) s"
