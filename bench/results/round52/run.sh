# Round 52 (nineteenth session): compare.py on main with twice the timed blocks (20
# blocks of 4 calls a runner instead of 10), CogVideoX. Why: within a row, each of our
# runner's blocks holds one time to 0.01 ms and the blocks differ by up to 10% (round
# 51: random keep 0.5, 3.64-4.04 ms), so a row's median rests on 10 samples of the
# board's state and single runs scatter by +-3% around the targets. Twice the samples
# halves the variance of each row's median. The run is reported whatever it reads.
# Timings (round 51): build ~40 s, CogVideoX ~150 s at 10 blocks, Wan 480p ~200 s.
# Prepare here: bash bench/results/round51/prepare.sh (main as is); then
#   run(command="BUDGET_S=<budget_left_s - 90, at most 560> bash bench/results/round52/run.sh",
#       carry=[".variants", ".whl/nvidia_cutlass-4.2.0.0-py3-none-any.whl"], kind="nvidia-h100-x1")
# Results: $OUT/compare (JSON, logs, nvidia-smi samples).
source bench/device_call.sh
start_call 560
mkdir -p $OUT/compare
# CogVideoX only: at 20 blocks (~300 s) after the build, Wan 480p (~400 s) does not fit
# the same call; it ran as a second call on the warm machine (README.md).
if t=$(allow 15 200); then
  [ $t -gt 330 ] && t=330
  OUT=$OUT/compare TREE=.variants/main BLOCKS=20 bash bench/results/round35/run_compare.sh \
    1x48x17776x64:$t
fi
echo "left at the end: $(left) s"
