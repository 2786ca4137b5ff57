# Ran 2026-12-07 21:36-21:40 UTC on an H100 (eighteenth session): hi2 took 1.019x main's time, so it
# was not merged; both passed their GPU tests (out/, bench/RESULTS.md "Eighteenth session").
# Round 49 (seventeenth session): is the dense call's extra cost of K/V traffic
# contention? Round 48: removing the K/V copies saves 5.7% (D = 64) / 9.9% (D = 128) of
# the dense time at the cap but per key tile only 1/1.6 (D = 64) and 1/1.35 (D = 128) as
# much at random keep 0.5; in the dense call every CTA of a head reads the same tile at
# about the same moment. hi2 (head-interleave.patch) hands out two heads' tiles in turn
# (same bytes; their K and V fit the L2: 9 MiB CogVideoX, 34 MiB Wan 480p), so half as
# many CTAs read each line at once. A gain on the dense rows says contention; sparse rows
# gain only if their own cost per byte is partly contention too. Scheduling only: the
# results are main's.
# Steps:
#   1. builds main and hi2;
#   2. the C++ bench in both call orders (main hi2 main; hi2 main hi2), CogVideoX and Wan
#      480p, random and skewed at keep 1, 0.5, 0.25, and the merge rule (ratio.txt);
#   3. the GPU tests of hi2, then main, with what is left (>= 60 s; the eighteenth
#      session added the structured-mask tests: main has not run them yet).
# Prepare here: bash bench/results/round49/prepare.sh; then
#   run(command="BUDGET_S=<budget_left_s - 90, at most 560> bash bench/results/round49/run.sh",
#       carry=[".variants", ".whl/nvidia_cutlass-4.2.0.0-py3-none-any.whl"], kind="nvidia-h100-x1")
source bench/device_call.sh
start_call 400
BUILD_RESERVE=150 build_trees hi2
export CBENCH_ARGS="--shapes 1x48x17776x64,1x40x32760x128 --keep 1,0.5,0.25 --mask random,skewed --iters 30"
[ $(left) -gt 60 ] && cbench_both_orders .variants/main .variants/hi2
echo "left after the benches: $(left) s"
[ $(left) -gt 60 ] && test_each 10 hi2 main
echo "left at the end: $(left) s"
