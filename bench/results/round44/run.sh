# Round 44 (fourteenth session, 2026-12-07): do the tile-boundary levers save cycles
# when the board is not power-capped? Rounds 40-43 measured 0023 and 0023 + 0024 at
# main's speed (1.0036x, 1.0002x over both call orders), though round 38's trace of main
# showed ~3700 cycles a tile exposed at its boundary that they overlap. At full grid the
# board sits at its 700 W cap (SW power cap in >99% of samples), where time follows
# energy, not cycles. So: main and 0023 + 0024 on a third of the SMs (third-grid.patch;
# the board then draws well under the cap and holds its top clock; smi logs show it),
# D = 64 rows in both call orders:
#   - xth faster than mainh there: the levers save cycles, the cap hides them;
#   - not faster: they do not shorten the critical path; the traces (round 42's
#     run_trace.sh on exp-trace and xt-trace, next) show what took its place
#     (trace_analysis.py --cross-tile, and trace_alignment.py: do the warpgroups'
#     boundaries still coincide?).
# Also: main's eff on a third of the SMs against full grid (rounds 40-43): how much of a
# tile's ~2 key tiles of fixed time is cycles. And Nsight Compute's DRAM bytes and L2 hit
# rate of main's dense and keep-0.25 launches at full grid (ncu_dram.sh, last): K and V are
# read from DRAM about once a head when the CTAs of a head share them through L2; if a
# sparse launch reads many times that, its DRAM traffic is energy the dense one does not
# spend (round 38's traces put a tile's fixed cost at ~1.5 key tiles of cycles where the
# clock says ~2).
# Prepare here: bash bench/results/round44/prepare.sh; then
#   run(command="BUDGET_S=<budget_left_s - 90, at most 560> bash bench/results/round44/run.sh",
#       carry=[".variants", ".whl/nvidia_cutlass-4.2.0.0-py3-none-any.whl"])
source bench/device_call.sh
start_call 560
if t=$(allow 200 60); then
  timeout -k 5 $t bash bench/gpu_trees.sh build .variants/main .variants/mainh .variants/xth
fi
cleanup
echo "left after builds: $(left) s"
export CBENCH_ARGS="--shapes 1x48x17776x64 --keep 1,0.5,0.25,0.1 --mask random --iters 30 --adjacent-dense"
[ $(left) -gt 200 ] && cbench_both_orders .variants/mainh .variants/xth
echo "left after cbench: $(left) s"
# The traces first (they decide the next lever), keeping ~90 s for ncu_dram.sh after them
# when there is that much; the traces need at least 210 s (run_trace.sh's builds).
if t=$(allow 15 210); then
  t=$((t - 90)); [ $t -lt 210 ] && t=210; [ $t -gt 300 ] && t=300
  mkdir -p $OUT/trace
  OUT=$OUT/trace BUDGET_S=$t bash bench/results/round42/run_trace.sh
fi
echo "left after traces: $(left) s"
if t=$(allow 10 40); then
  [ $t -gt 120 ] && t=120
  timeout -k 5 $t bash bench/results/round44/ncu_dram.sh .variants/main/build/dev/bench/liteattn_bench
  cleanup
fi
echo "left at the end: $(left) s"
