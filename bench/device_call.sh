# Sourced by the scripts of one device call (bench/results/round*/run.sh,
# bench/results/next/next_round.sh): what every such call needs around its steps.
# The device returns at most 8 files from $OUT, so everything goes back as one archive.
#   deadline=$((SECONDS + BUDGET)); source bench/device_call.sh; trap pack EXIT
left() { echo $((deadline - SECONDS)); }
# Seconds a step may take: what is left minus `reserve` ($1), or fail if under `minimum`
# ($2, default 20), so that no timeout goes to 0 (no limit) or negative.
allow() { local t=$(( $(left) - $1 )); [ $t -ge ${2:-20} ] && echo $t; }
# A step killed by its timeout leaves its children (timeout puts them in their own
# process group): kill them, so that no hung kernel runs under the next step's timings.
cleanup() { pkill -9 -f pytest; pkill -9 -f compute-sanitizer; pkill -9 -f sanitize_shapes;
            pkill -9 -f liteattn_bench; pkill -9 -f ninja; sleep 1; } 2>/dev/null
# Everything under $OUT as all.tgz; a tar warning (a file still being written) must not
# leave the files loose.
pack() {
  kill ${SMI:-} 2>/dev/null; cleanup
  cd "$OUT" || return
  tar czf /tmp/all.tgz --exclude=./all.tgz . ; [ -s /tmp/all.tgz ] && rm -rf ./* && mv /tmp/all.tgz .
  ls -la
}
first() { sed -n "1,${1}p"; }  # unlike head, reads to the end: no SIGPIPE into the step
