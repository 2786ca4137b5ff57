# Round 36 (tenth session): main's GPU tests + sanitizers on an H100 (never run there),
# then D = 64 candidates in the C++ bench against main (CogVideoX shape, main first and
# last): tb1 (a tile's first Q K^T takes no MMA turn: warpgroups no longer start every
# tile in lockstep), tb3 (tb1 + the last P V takes none either), loop-simple (0018, the
# simpler producer loop). GPU tests on each candidate, sanitizers on tb1 (its D = 128
# kernel is main's), main's tests last if time is left. Then, if time
# is left, the per-tile trace (next/next_round.sh trace's runs). Everything comes back
# as one archive. Prepare: .variants/{main,tb1,tb3,loop-simple,exp-trace} as git
# archives (bench/results stripped), carry .variants and the cutlass wheel.
set -u
export OUT
deadline=$((SECONDS + ${BUDGET_S:-570}))
left() { echo $((deadline - SECONDS)); }
pack() { cd $OUT && tar czf /tmp/all.tgz . && rm -rf ./* && mv /tmp/all.tgz . && ls; }
trap pack EXIT
python3 -m zipfile -e .whl/nvidia_cutlass-*.whl /tmp/cutlass_whl >/dev/null
bash bench/gpu_trees.sh build .variants/main .variants/tb1 .variants/tb3 .variants/loop-simple
grep -H "spill stores" $OUT/*/ptxas.txt | sort | uniq -c
echo "left after builds: $(left) s"
# tb1 first: its D = 128 kernel is main's, so its tests are main's on this card too.
bash bench/gpu_trees.sh stages "test sanitize" .variants/tb1 2>&1 |
  grep -E "=====|passed|failed|FAILED|SUMMARY|rror|Timeout|timed out" | head -20
for t in tb3 loop-simple; do
  bash bench/gpu_trees.sh stages test .variants/$t 2>&1 |
    grep -E "=====|passed|failed|FAILED|rror|Timeout|timed out" | head -6
done
echo "left after tests: $(left) s"
nvidia-smi --query-gpu=timestamp,clocks.sm,power.draw,clocks_throttle_reasons.active --format=csv -lms 250 > $OUT/smi.csv &
SMI=$!
export CBENCH_ARGS="--shapes 1x48x17776x64 --keep 1,0.25,0.1 --mask random,skewed --iters 40 --adjacent-dense --decisions"
timeout $(( $(left) - 15 )) bash bench/gpu_trees.sh cbench .variants/main .variants/tb1 .variants/tb3 .variants/loop-simple >/dev/null
kill $SMI; gzip $OUT/smi.csv
grep -v "none\*" $OUT/cbench.log
echo "left after cbench: $(left) s"
if [ $(left) -gt 60 ]; then
  bash bench/gpu_trees.sh stages test .variants/main 2>&1 |
    grep -E "=====|passed|failed|FAILED|rror|Timeout|timed out" | head -6
fi
echo "left after main tests: $(left) s"
if [ $(left) -gt 120 ]; then
  tree=.variants/exp-trace; mkdir -p $OUT/trace
  ( cd $tree && cmake -S . -B build/tr -G Ninja -DCMAKE_BUILD_TYPE=Release \
      -DCUTLASS_DIR=/tmp/cutlass_whl/cutlass_library/source -DCMAKE_CUDA_FLAGS=-DLITEATTN_TRACE \
      -DPython3_EXECUTABLE=$(command -v python3) -Dpybind11_DIR=$(python3 -m pybind11 --cmakedir) \
      > $OUT/trace/cmake.log 2>&1 &&
    cmake --build build/tr -j 16 --target liteattn_bench > $OUT/trace/build.log 2>&1 ) || exit 1
  B=$tree/build/tr/bench/liteattn_bench
  run() { name=$1; shift; LITEATTN_TRACE_FILE=$OUT/trace/$name.bin timeout 60 $B "$@" \
            --iters 3 --warmup 3 --settle-ms 0 > $OUT/trace/$name.txt 2>&1; }
  run c_r25 --shapes 1x48x17776x64 --keep 0.25 --mask random
  run c_s25 --shapes 1x48x17776x64 --keep 0.25 --mask skewed
  run c_r100 --shapes 1x48x17776x64 --keep 1 --mask random
  python3 bench/results/next/trace_analysis.py $OUT/trace/*.bin | tee $OUT/trace/summary.txt
fi
