#!/usr/bin/env bash
# One whole round on a lent Hopper machine: build, GPU tests, sanitizers, benchmarks.
# Results land under $OUT (default ./gpu_out). Stages run in the order given:
#   bash bench/gpu_round.sh build test sanitize bench
# Expects the nvidia-cutlass wheel in .whl/ (no network there) or CUTLASS_DIR set.
set -uo pipefail
OUT=${OUT:-$PWD/gpu_out}
mkdir -p "$OUT"
export PYTHONUNBUFFERED=1
export LITEATTN_REPORT_DIR=$OUT  # tests append figures worth keeping (decision agreement)
export PYTHONPATH=$PWD/python:$PWD/tests${PYTHONPATH:+:$PYTHONPATH}
status=0

stage_build() {
  if [ -z "${CUTLASS_DIR:-}" ]; then
    python3 -m zipfile -e .whl/nvidia_cutlass-*.whl /tmp/cutlass_whl >/dev/null || return 1
    export CUTLASS_DIR=/tmp/cutlass_whl/cutlass_library/source
  fi
  local t0=$SECONDS
  cmake -S . -B build/dev -G Ninja -DCMAKE_BUILD_TYPE=Release -DCUTLASS_DIR="$CUTLASS_DIR" -DCMAKE_CUDA_FLAGS=-Xptxas=-v \
    -DPython3_EXECUTABLE="$(command -v python3)" -Dpybind11_DIR="$(python3 -m pybind11 --cmakedir)" \
    >"$OUT/cmake.log" 2>&1 || { tail -30 "$OUT/cmake.log"; return 1; }
  cmake --build build/dev -j 16 -- -v >"$OUT/build.log" 2>&1 || { grep -B2 -A12 "error" "$OUT/build.log" | head -80; return 1; }
  cp build/dev/cpp/_C*.so python/liteattn/
  grep -E "Compiling entry|registers|spill" "$OUT/build.log" | grep -v bench >"$OUT/ptxas.txt"
  cat "$OUT/ptxas.txt"
  echo "build: $((SECONDS - t0)) s"
  python3 -c "import liteattn, torch; print('kernels:', liteattn.has_cuda_kernels(), torch.cuda.get_device_name())"
}

stage_test() {
  timeout 900 python3 -m pytest tests -q -x -m gpu -p no:cacheprovider --durations=10 2>&1 | tee "$OUT/gpu_tests.log" | tail -40
  return ${PIPESTATUS[0]}
}

stage_cputest() {
  timeout 600 python3 -m pytest tests -q -m "not gpu" -p no:cacheprovider 2>&1 | tail -5
}

stage_sanitize() {
  for tool in memcheck racecheck synccheck; do
    echo "== compute-sanitizer $tool"
    timeout 400 compute-sanitizer --tool "$tool" --error-exitcode 9 python3 bench/sanitize_shapes.py \
      >"$OUT/sanitize_$tool.log" 2>&1
    local rc=$?
    tail -4 "$OUT/sanitize_$tool.log"
    [ $rc -eq 0 ] || { echo "$tool failed rc=$rc"; status=1; }
  done
}

stage_bench() {
  timeout 900 python3 bench/compare.py --json "$OUT/compare.json" --md "$OUT/compare.md" ${BENCH_ARGS:-} 2>&1 | tee "$OUT/compare.log" | tail -60
}

# The C++ benchmark twice: without and with decisions (skip_out), same inputs.
stage_microbench() {
  local args=${MICRO_ARGS:---shapes 1x40x32760x128,1x48x17776x64 --iters 100}
  timeout 300 ./build/dev/bench/liteattn_bench $args --json "$OUT/micro.json" 2>&1 |
    tee "$OUT/micro.log" | tail -8
  timeout 300 ./build/dev/bench/liteattn_bench $args --decisions --json "$OUT/micro_dec.json" 2>&1 |
    tee "$OUT/micro_dec.log" | tail -4
}

# Tile-shape tuning: VARIANTS="D:BN:STAGES:PINGPONG[:WARPGROUPS] ..." builds the C++ benchmark once per
# variant (traits.h's LITEATTN_TUNE_* overrides, one head dim each, builds in parallel)
# and times each on its head dim's video shape, dense and with decisions, in one run.
VARIANTS_DEFAULT="64:128:2:0 64:128:2:0:2 64:128:3:0 128:128:2:0 128:128:2:1"
stage_variants() {
  local shape_64=${VARIANT_SHAPE_64:-1x48x17776x64} shape_128=${VARIANT_SHAPE_128:-1x40x32760x128}
  local v d n st pp dir tag flags
  [ -n "${CUTLASS_DIR:-}" ] || { echo "variants: run the build stage first (it sets CUTLASS_DIR)"; return 1; }
  for v in ${VARIANTS:-$VARIANTS_DEFAULT}; do
    IFS=: read -r d n st pp wg <<<"$v"
    case "$d" in 64|128) ;; *) echo "variants: '$v': head dim must be 64 or 128"; return 1 ;; esac
  done
  for v in ${VARIANTS:-$VARIANTS_DEFAULT}; do
    IFS=: read -r d n st pp wg <<<"$v"
    tag=${d}_${n}_${st}_${pp}${wg:+_wg$wg}; dir=build/var_$tag
    # The host code (run_fwd.cpp: tile_shape, mask words) must see the same override.
    flags="-DLITEATTN_TUNE_BLOCK_N_$d=$n -DLITEATTN_TUNE_STAGES_$d=$st -DLITEATTN_TUNE_PINGPONG_$d=$pp"
    [ -n "$wg" ] && flags="$flags -DLITEATTN_TUNE_WARPGROUPS_$d=$wg"
    ( cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCUTLASS_DIR="$CUTLASS_DIR" \
        -DLITEATTN_HEAD_DIMS="$d" -DCMAKE_CUDA_FLAGS="$flags" -DCMAKE_CXX_FLAGS="$flags" \
        -DPython3_EXECUTABLE="$(command -v python3)" -Dpybind11_DIR="$(python3 -m pybind11 --cmakedir)" \
        >"$OUT/variant_$tag.log" 2>&1 &&
      cmake --build "$dir" -j 8 --target liteattn_bench >>"$OUT/variant_$tag.log" 2>&1 ||
      echo "variant $v: build failed (see variant_$tag.log)" ) &
  done
  wait
  for v in ${VARIANTS:-$VARIANTS_DEFAULT}; do
    IFS=: read -r d n st pp wg <<<"$v"
    tag=${d}_${n}_${st}_${pp}${wg:+_wg$wg}; dir=build/var_$tag
    [ -x "$dir/bench/liteattn_bench" ] || continue
    local shape_var=shape_$d
    for extra in "" "--decisions"; do
      echo "== variant D=$d BN=$n stages=$st pingpong=$pp warpgroups=${wg:-default} ${extra}"
      # VARIANT_ARGS: more bench options, e.g. "--keep 0.25,0.1 --mask random,skewed"
      # (then every row is printed, not only the dense one).
      local log="$OUT/variant_$tag${extra:+_dec}.txt"
      timeout 120 "$dir/bench/liteattn_bench" --shapes "${!shape_var}" $extra ${VARIANT_ARGS:-} \
        --json "$OUT/variant_$tag${extra:+_dec}.json" >"$log" 2>&1 ||
        { echo "variant $v ${extra}: failed, rc=$? (last lines below)"; tail -3 "$log"; status=1; }
      grep -E "^ +[0-9]+ +[0-9]+ " "$log"
    done
  done
}

stage_trajectory() {
  timeout 900 python3 bench/trajectory.py --out "$OUT/trajectory" ${TRAJ_ARGS:-} 2>&1 | tee "$OUT/trajectory.log" | tail -40
}

# The device tool brings back at most 8 files from $OUT: everything goes into one
# archive, beside the logs read most often.
pack_out() {
  # $OUT is emptied after packing: never let that be the checkout or a parent of it.
  case "$(realpath "$PWD")/" in "$(realpath "$OUT")"/*) echo "pack_out: OUT=$OUT holds the checkout; not packing"; return ;; esac
  local t; t=$(mktemp -d); ( cd "$OUT" && tar czf "$t/round.tgz" . && rm -rf ./* && mv "$t/round.tgz" . )
}

for stage in "$@"; do
  echo "=== stage $stage ($(date -u +%H:%M:%S))"
  "stage_$stage" || { echo "stage $stage FAILED"; status=1; [ "$stage" = build ] && { pack_out; exit 1; }; }
done
pack_out
exit $status
