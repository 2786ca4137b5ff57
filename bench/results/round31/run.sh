# Round 31 (seventh session): the one-kernel tile order (main 8722e40) against the tree
# before it (base = d4da83b). Build both, plus main's C++ bench with the D=128 ping-pong
# (LITEATTN_TUNE_PINGPONG_128=1); GPU tests + sanitizers on main; the call timeline; C++
# bench main / base / main, then the ping-pong variant next to main on Wan 480p.
set -u
export OUT
python3 -m zipfile -e .whl/nvidia_cutlass-*.whl /tmp/cutlass_whl >/dev/null
flags="-DLITEATTN_TUNE_PINGPONG_128=1"
( cd .variants/main && cmake -S . -B build/var_pp128 -G Ninja -DCMAKE_BUILD_TYPE=Release \
    -DCUTLASS_DIR=/tmp/cutlass_whl/cutlass_library/source -DLITEATTN_HEAD_DIMS=128 \
    -DCMAKE_CUDA_FLAGS="$flags" -DCMAKE_CXX_FLAGS="$flags" -DPython3_EXECUTABLE="$(command -v python3)" \
    -Dpybind11_DIR="$(python3 -m pybind11 --cmakedir)" > $OUT/var_pp128.log 2>&1 &&
  cmake --build build/var_pp128 -j 8 --target liteattn_bench >> $OUT/var_pp128.log 2>&1 ) &
bash bench/gpu_trees.sh build .variants/main .variants/base
wait
ls -la .variants/main/build/var_pp128/bench/liteattn_bench || tail -20 $OUT/var_pp128.log
grep -h -iE "spill stores" $OUT/*/ptxas.txt 2>/dev/null | sort | uniq -c
bash bench/gpu_trees.sh stages "test sanitize" .variants/main 2>&1 | grep -E "passed|failed|FAILED|SUMMARY|rror|agreement" | head -20
(cd .variants/main && PYTHONPATH=python timeout 120 python3 bench/profile_call.py > $OUT/profile_call.txt 2>&1); grep -v Warn $OUT/profile_call.txt | grep -v _warn
nvidia-smi --query-gpu=timestamp,clocks.sm,power.draw,clocks_throttle_reasons.active --format=csv -lms 250 > $OUT/smi.csv &
SMI=$!
export CBENCH_ARGS="--shapes 1x48x17776x64,1x40x32760x128 --keep 1,0.25,0.1 --mask random,skewed --iters 50 --adjacent-dense"
bash bench/gpu_trees.sh cbench .variants/main .variants/base >/dev/null; cp $OUT/cbench.log $OUT/cb1.log
source bench/bench_once.sh
: > $OUT/cb_pp.log
for t in main pp128 main2; do
  bin=.variants/main/build/dev/bench/liteattn_bench; [ $t = pp128 ] && bin=.variants/main/build/var_pp128/bench/liteattn_bench
  bench_once $OUT/cb_pp.log $t $bin --shapes 1x40x32760x128 --keep 1,0.25,0.1 --mask random,skewed --iters 50 --adjacent-dense
done
kill $SMI
cat $OUT/cb1.log $OUT/cb_pp.log | grep -v "none\*"
cd $OUT && gzip smi.csv && tar czf /tmp/all.tgz . && rm -rf ./* && mv /tmp/all.tgz . && ls
