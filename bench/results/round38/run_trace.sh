# Round 38 (eleventh session, 2026-12-07): the per-tile trace of main's kernel on the
# H100 (trace.patch, never run before), the diagnosis the ninth session asked for: where
# a query tile's ~2 key tiles of fixed cost go at D = 64 (CogVideoX), now that neither
# candidate of round 37 (tb1: no lockstep tile starts; ex2: exponentials on the FMA pipe)
# measured faster. main's GPU tests and sanitizers already ran on this card in round 37,
# so this call only builds the traced C++ bench and traces. Prepare here:
#   rm -rf .variants && bash bench/gpu_trees.sh patched exp-trace trace.patch
# then run(command="BUDGET_S=<s> bash bench/results/round38/run_trace.sh",
#          carry=[".variants", ".whl/nvidia_cutlass-4.2.0.0-py3-none-any.whl"])
source bench/device_call.sh
start_call 400
mkdir -p $OUT/trace
python3 -m zipfile -e .whl/nvidia_cutlass-*.whl /tmp/cutlass_whl >/dev/null
tree=.variants/exp-trace
t=$(allow 150 60) || exit 1
( cd $tree && timeout $t cmake -S . -B build/tr -G Ninja -DCMAKE_BUILD_TYPE=Release \
    -DCUTLASS_DIR=/tmp/cutlass_whl/cutlass_library/source -DCMAKE_CUDA_FLAGS=-DLITEATTN_TRACE \
    -DPython3_EXECUTABLE=$(command -v python3) -Dpybind11_DIR=$(python3 -m pybind11 --cmakedir) \
    > $OUT/trace/cmake.log 2>&1 &&
  timeout $t cmake --build build/tr -j 16 --target liteattn_bench > $OUT/trace/build.log 2>&1 ) ||
  { tail -30 $OUT/trace/cmake.log $OUT/trace/build.log; exit 1; }
echo "built, left $(left) s"
B=$tree/build/tr/bench/liteattn_bench
# Every traced call syncs and writes its trace (the last one is kept); the analysis counts
# cycles, which the clock does not change, so no settling.
run() { name=$1; shift; local t; t=$(allow 40 15) || return; [ $t -gt 90 ] && t=90
        LITEATTN_TRACE_FILE=$OUT/trace/$name.bin timeout -k 5 $t $B "$@" \
          --iters 3 --warmup 3 --settle-ms 0 > $OUT/trace/$name.txt 2>&1
        echo "$name rc=$?"; grep -E "^ +[0-9]+ +[0-9]+ |rror|failed" $OUT/trace/$name.txt | tail -2; cleanup; }
run c_s25 --shapes 1x48x17776x64 --keep 0.25 --mask skewed
run c_r25 --shapes 1x48x17776x64 --keep 0.25 --mask random
run c_r100 --shapes 1x48x17776x64 --keep 1 --mask random
run c_r10 --shapes 1x48x17776x64 --keep 0.1 --mask random
run w_r25 --shapes 1x40x32760x128 --keep 0.25 --mask random
ls $OUT/trace/*.bin >/dev/null 2>&1 &&
  timeout 60 python3 bench/results/next/trace_analysis.py $OUT/trace/*.bin 2>&1 | tee $OUT/trace/summary.txt
gzip $OUT/trace/*.bin 2>/dev/null
echo "left at the end: $(left) s"
