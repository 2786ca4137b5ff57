# Round 56 (twenty-third session, the last ~270 s of device time): main as landed
# (robust 0002-0006 on top of the GPU-tested rob5, plus a warning in the stride-0 test
# saying which branch ran): build, GPU tests, and which branch the stride-0 K/V test took.
# Prepare: bash bench/gpu_trees.sh patched main; run with carry [".variants", ".whl/..."].
# NOT RUN: at 05:06 UTC the H100 start was refused, and at 05:14 the 258 s left could not
# start another machine. Worth running first next session (about 150 s on a fresh machine).
source bench/device_call.sh
start_call 240
BUILD_RESERVE=40 build_trees
TEST_CAP=60 test_each 5 main
grep -h -A2 "stride-0" $OUT/main/*.log $OUT/test_main.log 2>/dev/null | first 6
tar xzOf $OUT/main/round.tgz ./gpu_tests.log 2>/dev/null | grep -A1 "stride-0" | first 4
echo "left at the end: $(left) s"
