# Rounds 45 and 45b (fifteenth session, 2026-12-07): a candidate for the softmax's row
# sums on the tensor cores, in place of 64 FADDs a thread and key tile, against main.
#   rs   (round 45)  0025: L = bf16 P x ones, 8 wgmma 64x8x16 a key tile issued with the
#                    next Q K^T; the D = 64 loop goes from 443 to 403 SASS instructions.
#   r32  (round 45b) 0025 + 0026: tf32 sums from the fp32 P still in S's registers
#                    (16 wgmma 64x8x8), as rs missed the tests' lse tolerance (1.465e-3
#                    against 1e-3); tf32 keeps 10 mantissa bits where bf16 keeps 7.
# Why an instruction lever: round 44 measured 0023 + 0024 0.8% faster than main on a third
# of the SMs (below the power cap) and not at all at full grid (at the cap), so cycles
# saved at a tile boundary do not become time there; energy does, and 0021's extra
# instructions cost 6-10% time at the cap. Prepare here:
#   bash bench/results/round45/prepare.sh
# then
#   run(command="BUDGET_S=<budget_left_s - 90, at most 560> bash bench/results/round45/run.sh rs|r32",
#       carry=[".variants", ".whl/nvidia_cutlass-4.2.0.0-py3-none-any.whl"])
# Steps (device_call.sh's candidate_round): builds main and the candidate; its GPU tests
# and sanitizers; the C++ bench on both shapes in both orders; compare.py on it for
# CogVideoX if 200 s are left. Merge rule: tests pass, sanitizers clean, faster than main
# over both orders (geometric mean of the rows below 0.99, no row slower by more than 1%).
source bench/device_call.sh
start_call 560
export CBENCH_ARGS="--shapes 1x48x17776x64,1x40x32760x128 --keep 1,0.5,0.25,0.1 --mask random,skewed --iters 30 --adjacent-dense"
candidate_round ${1:-rs}
echo "left at the end: $(left) s"
