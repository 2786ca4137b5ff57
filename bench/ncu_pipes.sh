#!/usr/bin/env bash
# Pipe utilisation and stall reasons of one forward launch per shape (Nsight Compute),
# to tell which unit bounds the mainloop (tensor cores, MUFU exponentials, FMA/ALU issue).
#   bash bench/ncu_pipes.sh [BENCH_BINARY]      # results under $OUT/ncu_<shape>.txt
# NCU_SHAPES picks the shapes; NCU_ARGS adds benchmark options, e.g. a sparse row:
#   NCU_ARGS="--keep 0.25 --mask skewed" NCU_SKIP=N bash bench/ncu_pipes.sh
# (NCU_SKIP: fwd_kernel launches to skip first, default 2; the dense row comes first)
set -uo pipefail
OUT=${OUT:-$PWD/gpu_out}
bin=${1:-./build/dev/bench/liteattn_bench}
mkdir -p "$OUT"
for shape in ${NCU_SHAPES:-1x48x17776x64 1x40x32760x128}; do
  timeout 240 ncu --kernel-name regex:fwd_kernel --launch-skip ${NCU_SKIP:-2} --launch-count 1 \
    --section SpeedOfLight --section WarpStateStats --section InstructionStats \
    --metrics "regex:sm__inst_executed_pipe_.*\.avg\.pct_of_peak_sustained_active$,regex:sm__pipe_.*_cycles_active\.avg\.pct_of_peak_sustained_active$,regex:smsp__average_warps_issue_stalled_.*_per_issue_active\.ratio$" \
    "$bin" --shapes "$shape" --iters 2 ${NCU_ARGS:-} >"$OUT/ncu_$shape.txt" 2>&1
  echo "== $shape rc=$?"; grep -E "pipe_(tensor|xu|fma|alu|fmaheavy|fp16|uniform)|Duration|Issue Slots|Executed Ipc|stalled_(math|wait|barrier|long|short|mio|no_inst|dispatch|not_selected|selected|branch|lg|membar|sleeping)" "$OUT/ncu_$shape.txt" | head -60
done
