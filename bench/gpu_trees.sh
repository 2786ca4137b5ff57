#!/usr/bin/env bash
# Several kernel candidates built and tested in one device call, so that a round spends
# the device's time on tests, not on starting machines. Two steps:
#
#   bash bench/gpu_trees.sh prepare REV...   # here: .variants/<name> = `git archive REV`
#                                            # (name: REV with / replaced by -)
#   bash bench/gpu_trees.sh patched NAME [PATCH...]
#                                            # here: .variants/NAME = `git archive HEAD`
#                                            # with bench/results/next/PATCH... applied
#                                            # (branches do not survive between
#                                            # sessions, patches on main do)
#   bash bench/gpu_trees.sh build [TREE...]  # on the GPU machine, carrying .variants and
#                                            # .whl: builds every tree (default: all of
#                                            # .variants) in parallel
#   bash bench/gpu_trees.sh stages "STAGES" [TREE...]
#                                            # then gpu_round.sh's STAGES (e.g. "test
#                                            # sanitize") one tree at a time
#   bash bench/gpu_trees.sh cbench TREE...   # each tree's C++ benchmark in turn, the
#                                            # first tree again at the end (a drifting
#                                            # clock shows as its two runs disagreeing);
#                                            # options in CBENCH_ARGS
# Results in $OUT/NAME. Building is CPU work: time something else on the GPU meanwhile.
# Each build runs ninja -j 16: two or three trees at once fit the 16-core, 128 GiB machine.
set -uo pipefail
OUT=$(realpath -m "${OUT:-$PWD/gpu_out}")  # absolute: the stages run inside each tree

if [ "${1:-}" = prepare ]; then
  shift
  for rev in "$@"; do
    dir=.variants/${rev//\//-}
    rm -rf "$dir" && mkdir -p "$dir" && git archive "$rev" | tar x -C "$dir" &&
      echo "prepared $dir from $(git rev-parse --short "$rev")"
  done
  exit 0
fi
if [ "${1:-}" = patched ]; then
  name=$2 dir=.variants/$2
  shift 2
  rm -rf "$dir" && mkdir -p "$dir" && git archive HEAD | tar x -C "$dir" || exit 1
  rm -rf "$dir/bench/results"  # not needed to build or test; keeps the carry small
  for p in "$@"; do patch -s -p1 -d "$dir" < "bench/results/next/$p" || exit 1; done
  echo "prepared $dir from $(git rev-parse --short HEAD)${*:+ + $*}"
  exit 0
fi

mode=${1:-}
case "$mode" in
  build) shift ;;
  stages) [ $# -ge 2 ] || { echo "stages: say which, e.g. \"test sanitize\""; exit 2; }
          stages=$2; shift 2 ;;
  cbench) shift; [ $# -ge 1 ] || { echo "cbench: name the trees"; exit 2; } ;;
  *) echo "usage: $0 prepare REV... | build [TREE...] | stages \"STAGES\" [TREE...] | cbench TREE..."; exit 2 ;;
esac
trees=("$@")
[ ${#trees[@]} -gt 0 ] || trees=(.variants/*)
status=0
if [ "$mode" = build ]; then
  python3 -m zipfile -e .whl/nvidia_cutlass-*.whl /tmp/cutlass_whl >/dev/null || exit 1
  for tree in "${trees[@]}"; do
    name=$(basename "$tree")
    mkdir -p "$OUT/$name"
    ( cd "$tree" && CUTLASS_DIR=/tmp/cutlass_whl/cutlass_library/source OUT="$OUT/$name" \
        bash bench/gpu_round.sh build >"$OUT/$name.build.log" 2>&1 ) &
  done
  wait
  for tree in "${trees[@]}"; do
    name=$(basename "$tree")
    echo "===== $name: $(grep -E '^build: |FAILED|kernels:' "$OUT/$name.build.log" | tr '\n' ' ')"
    grep -q "stage build FAILED" "$OUT/$name.build.log" && status=1
  done
  exit $status
fi
if [ "$mode" = cbench ]; then
  read -r -a args <<<"${CBENCH_ARGS:---shapes 1x40x32760x128,1x48x17776x64 --keep 1,0.25,0.1 --mask random,skewed --iters 50}"
  source "$(dirname "$0")/bench_once.sh"
  mkdir -p "$OUT"
  : >"$OUT/cbench.log"
  run=0
  for tree in "${trees[@]}" "${trees[0]}"; do
    name=$(basename "$tree")
    [ $((run++)) -eq ${#trees[@]} ] && name="$name (repeat)"
    bench_once "$OUT/cbench.log" "$name" "$tree/build/dev/bench/liteattn_bench" "${args[@]}" || status=1
  done
  exit $status
fi
for tree in "${trees[@]}"; do
  name=$(basename "$tree")
  echo "===== $name: $stages"
  # gpu_round packed the build's logs; unpack so that these stages add to the same folder.
  [ -f "$OUT/$name/round.tgz" ] && ( cd "$OUT/$name" && tar xzf round.tgz && rm round.tgz )
  ( cd "$tree" && OUT="$OUT/$name" bash bench/gpu_round.sh $stages ) || status=1
done
exit $status
