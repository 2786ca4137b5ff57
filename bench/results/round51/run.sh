# Round 51 (prepared in the eighteenth session): one more compare.py run of main at both
# shapes, CogVideoX first (its Flex ratios are what #4 still misses: random 0.5 at a
# median of 1.486 over five H100 runs), then main's GPU tests and sanitizers with what is
# left (the sanitizers only if the call has the time). Round 50 (H100) met every Wan
# 480p row in one run; no run has yet met every CogVideoX row. Timings there: build
# ~45 s, CogVideoX compare ~150 s, Wan ~200 s. Dry-run here with stub commands.
# Prepare here: bash bench/results/round51/prepare.sh; then
#   run(command="BUDGET_S=<budget_left_s - 90, at most 560> bash bench/results/round51/run.sh",
#       carry=[".variants", ".whl/nvidia_cutlass-4.2.0.0-py3-none-any.whl"], kind="nvidia-h100-x1")
# Results: $OUT/compare (JSON, logs, nvidia-smi), $OUT/test_main.log, the sanitizer summary.
source bench/device_call.sh
start_call 560
# Both shapes in one run_compare.sh call (it builds main first, ~55 s, and packs
# $OUT/compare once, at its end): what is left less 120 s (the build, then 60 s for the
# tests), split 4:5 between CogVideoX and Wan 480p.
if t=$(allow 120 200); then
  mkdir -p $OUT/compare
  OUT=$OUT/compare TREE=.variants/main bash bench/results/round35/run_compare.sh \
    1x48x17776x64:$((t * 4 / 9)) 1x40x32760x128:$((t * 5 / 9 - 10))
fi
echo "left after compare: $(left) s"
[ $(left) -gt 60 ] && test_each 10 main
sanitize_if_passed 5 main
echo "left at the end: $(left) s"
