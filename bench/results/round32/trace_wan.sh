# The round-25 tracer's run script, on Wan 480p (D=128): build the traced C++ bench, one
# traced call a configuration (the last of 3 after 3 warm-up calls).
set -u
python3 -m zipfile -e .whl/nvidia_cutlass-*.whl /tmp/cutlass_whl >/dev/null
cd .variants/${TRACE_TREE:-exp-trace}
cmake -S . -B build/tr -G Ninja -DCMAKE_BUILD_TYPE=Release -DCUTLASS_DIR=/tmp/cutlass_whl/cutlass_library/source -DCMAKE_CUDA_FLAGS=-DLITEATTN_TRACE -DLITEATTN_HEAD_DIMS=128 -DPython3_EXECUTABLE=$(command -v python3) -Dpybind11_DIR=$(python3 -m pybind11 --cmakedir) > $OUT/cmake.log 2>&1
cmake --build build/tr -j 8 --target liteattn_bench > $OUT/build.log 2>&1 || { tail -30 $OUT/build.log; exit 1; }
B=build/tr/bench/liteattn_bench
run() { name=$1; shift; LITEATTN_TRACE_FILE=$OUT/$name.bin timeout 120 $B "$@" --iters 3 --warmup 3 --settle-ms 0 > $OUT/$name.txt 2>&1; tail -2 $OUT/$name.txt; }
run w_r100 --shapes 1x40x32760x128 --keep 1 --mask random
run w_r25 --shapes 1x40x32760x128 --keep 0.25 --mask random
run w_r10 --shapes 1x40x32760x128 --keep 0.1 --mask random
run w_s10 --shapes 1x40x32760x128 --keep 0.1 --mask skewed
ls -la $OUT
