# Round 57 (prepared in the twenty-third session for the next one): one call on a fresh
# machine that puts everything about main's current kernel on record. Supersedes round 56.
#   1. build main; its GPU tests (the stride-0 K/V test warns which branch ran: if
#      "refused", validation should reject stride 0 up front);
#   2. memcheck, racecheck, synccheck;
#   3. compare.py on CogVideoX (1x48x17776x64), which last ran on round 52's kernel; the
#      Wan 480p run on today's kernel is round 55's.
# Prepare here: bash bench/gpu_trees.sh patched main; then
#   run(command="BUDGET_S=<budget_left_s - 100, at most 560> bash bench/results/round57/run.sh",
#       carry=[".variants", ".whl/nvidia_cutlass-4.2.0.0-py3-none-any.whl"], kind="nvidia-h100-x1")
# About 80 s of build, 20 s of tests, 60 s of sanitizers, then compare.py with what is left
# (at most 380 s; it needs 200 s to start).
source bench/device_call.sh
start_call 560
BUILD_RESERVE=300 build_trees
TEST_CAP=90 test_each 260 main
echo "passed: ${passed[*]:-none}" | tee $OUT/passed.txt
tar xzOf $OUT/main/round.tgz ./gpu_tests.log 2>/dev/null | grep -A1 "stride-0" | first 4
sanitize_if_passed 210 main
compare_shape .variants/main 1x48x17776x64 380
echo "left at the end: $(left) s"
