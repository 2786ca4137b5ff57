set -u
python3 -m zipfile -e .whl/nvidia_cutlass-*.whl /tmp/cutlass_whl >/dev/null
for t in .variants/*; do
 ( cd $t && cmake -S . -B build/dev -G Ninja -DCMAKE_BUILD_TYPE=Release -DCUTLASS_DIR=/tmp/cutlass_whl/cutlass_library/source -DLITEATTN_HEAD_DIMS=64 -DPython3_EXECUTABLE=$(command -v python3) -Dpybind11_DIR=$(python3 -m pybind11 --cmakedir) > $OUT/$(basename $t).cmake.log 2>&1 && cmake --build build/dev -j 6 --target liteattn_bench > $OUT/$(basename $t).build.log 2>&1 || echo "BUILD FAILED $t" ) &
done
wait
ls -la .variants/*/build/dev/bench/liteattn_bench
