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
source bench/device_call.sh
start_call 560
build_trees lazy tb1-lazy
test_each 300 lazy tb1-lazy
sanitize_if_passed 260 tb1-lazy
export CBENCH_ARGS="--shapes 1x48x17776x64,1x40x32760x128 --keep 1,0.5,0.25,0.1 --mask random,skewed --iters 30 --adjacent-dense"
[ ${#passed[@]} -gt 0 ] && cbench_trees .variants/main "${passed[@]}"  # main again at the end
echo "left at the end: $(left) s"
