"""Each sparse row of several compare.py runs side by side (one shape a JSON file), with
the median over the runs: which rows miss a target in every run (a real shortfall) and
which only in some (the board's spread at its power cap).
    python3 bench/results/next/compare_runs.py RUN.json...   # same shape, any order
    python3 bench/results/next/compare_runs.py --decisions RUN.json...
--decisions reads the "+dec" columns (skip_in and skip_out given, the steady state of a
denoising loop) instead of the plain block-sparse ones (skip_in only).
Each median also gets a distribution-free confidence interval (order statistics of the
runs, --level, default 0.9): a target below the interval is met, above it missed, inside
it undecided by these runs (twentieth session: the medians sit within 0.3% of targets
that a single run scatters +-3% around)."""
import argparse
import json
import math
import statistics

EFF_TARGET, FLEX_TARGET = 0.95, 1.5

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("runs", nargs="+", help="compare.py JSON files of one shape")
parser.add_argument("--decisions", action="store_true", help='the "+dec" columns')
parser.add_argument("--level", type=float, default=0.9,
                    help="the least coverage of each median's interval (default 0.9)")
args = parser.parse_args()


def median_interval(values, level):
    """[x(k), x(n+1-k)] of the sorted values with the largest k whose coverage of the true
    median, 1 - 2 P(Binomial(n, 1/2) < k), is at least `level` (at least the full range)."""
    xs, n = sorted(values), len(values)

    def coverage(k):
        return 1 - 2 * sum(math.comb(n, i) for i in range(k)) / 2 ** n

    k = 1
    while k < (n + 1) // 2 and coverage(k + 1) >= level:
        k += 1
    return xs[k - 1], xs[n - k], coverage(k)


def verdict(low, high, target):
    return "met" if low >= target else "missed" if high < target else "undecided"


lite, eff_key = (("liteattn_decisions", "skip_efficiency_decisions") if args.decisions
                 else ("liteattn", "skip_efficiency"))

rows = {}
devices = set()
for path in args.runs:
    with open(path) as f:
        report = json.load(f)
    print(f"{path}: {report['meta'].get('device')}, {report['meta'].get('date')}")
    devices.add(report["meta"].get("device"))
    for r in report["sparse"]:
        vs_flex = r["flex"]["median_ms"] / r[lite]["median_ms"]
        rows.setdefault((r["mask"], r["keep"]), []).append((r[eff_key], vs_flex))

if len(devices) > 1:
    # An H200 run beside H100 runs (the device may hand out either) is not the same
    # measurement: round 47's H200 took 3.7% longer than the H100 for the same call.
    print(f"WARNING: runs from different devices ({', '.join(sorted(map(str, devices)))}); "
          "their medians mix two boards")
print(f"{'+dec' if args.decisions else 'plain block-sparse'} columns")
print(f"{'mask':6s} {'keep':>5s}  {'eff per run':24s} median  {'vs Flex per run':24s} median")
missed_medians = checked = 0
verdicts = {"met": 0, "missed": 0, "undecided": 0}
intervals = []
for (mask, keep), runs in rows.items():
    eff = [e for e, _ in runs]
    flex = [v for _, v in runs]
    # eff's target holds at keep >= 0.25 only; the Flex ratio's everywhere.
    eff_misses = sum(e < EFF_TARGET for e in eff) if keep >= 0.25 else 0
    flex_misses = sum(v < FLEX_TARGET for v in flex)
    eff_median, flex_median = statistics.median(eff), statistics.median(flex)
    print(f"{mask:6s} {keep:5g}  {' '.join(f'{e:.3f}' for e in eff):24s} {eff_median:.3f}"
          f"   {' '.join(f'{v:.3f}' for v in flex):24s} {flex_median:.3f}"
          f"   misses: eff {eff_misses}/{len(eff)}, Flex {flex_misses}/{len(flex)}")
    checks = [("vs Flex", flex, flex_median, FLEX_TARGET)]
    if keep >= 0.25:
        checks.append(("eff", eff, eff_median, EFF_TARGET))
    for name, values, median, target in checks:
        low, high, coverage = median_interval(values, args.level)
        outcome = verdict(low, high, target)
        missed_medians += median < target
        verdicts[outcome] += 1
        intervals.append(f"{mask:6s} {keep:5g}  {name:7s} median {median:.3f}"
                         f"  [{low:.3f}, {high:.3f}] ({coverage:.1%})  target {target:g}: {outcome}")
    checked += len(checks)
print(f"medians missing their target: {missed_medians} of {checked}")
print(f"confidence intervals of the medians (order statistics, coverage >= {args.level:g}):")
print("\n".join(intervals))
print(f"targets met: {verdicts['met']}, missed: {verdicts['missed']}, "
      f"undecided: {verdicts['undecided']} (of {checked})")
