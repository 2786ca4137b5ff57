# Round 22 (sixth session): build final + defer-store + traced final; trace; tests; cbench.
set -u
mkdir -p $OUT/trace
( TRACE_TREE=exp-trace-final OUT=$OUT/trace bash bench/results/round25/trace_run.sh > $OUT/trace/run.txt 2>&1 ) &
bash bench/gpu_trees.sh build .variants/work-final .variants/work-defer-store
wait
bash bench/gpu_trees.sh stages "test sanitize" .variants/work-final 2>&1 | grep -E "passed|failed|FAILED|SUMMARY|rror" | head
export CBENCH_ARGS="--shapes 1x48x17776x64,1x40x32760x128 --keep 1,0.25,0.1 --mask random,skewed --iters 50"
bash bench/gpu_trees.sh cbench .variants/work-final .variants/work-defer-store >/dev/null; cp $OUT/cbench.log $OUT/cb1.log
bash bench/gpu_trees.sh cbench .variants/work-defer-store .variants/work-final >/dev/null; cp $OUT/cbench.log $OUT/cb2.log
cd $OUT && tar czf /tmp/all.tgz . && rm -rf ./* && mv /tmp/all.tgz . && ls
