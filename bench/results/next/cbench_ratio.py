# Candidate against base from C++ bench logs (bench/gpu_trees.sh cbench), over every run
# of each tree in every log given: per row, the geometric mean of the candidate's median
# times over that of the base's, then the geometric mean over the rows, and the merge
# rule from round 43 on (overall below --max-mean, no row above --max-row). Why: within
# one call the later runs of a tree drift slower as the card heats (rounds 40-41), so a
# candidate is judged over both call orders, never one log alone.
#   python3 cbench_ratio.py --base main --cand xt cbench_main_first.log cbench_xt_first.log
import argparse
import math
import sys


def runs_of(path):
    """[(tree, {(head_dim, mask, keep): median_ms})] in the order the log has them."""
    runs = []
    for line in open(path):
        if line.startswith("====="):
            tree = line.split()[1].rstrip(":")
            runs.append((tree, {}))
            continue
        f = line.split()
        # B H Hkv Sq Sk D tile mask keep actual flag reps median min max ...
        if runs and len(f) > 14 and f[0].isdigit() and f[7] != "none*":
            runs[-1][1][(f[5], f[7], f[8])] = float(f[12])
    return runs


def geomean(xs):
    return math.exp(sum(map(math.log, xs)) / len(xs))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("logs", nargs="+")
    ap.add_argument("--base", default="main")
    ap.add_argument("--cand", required=True)
    ap.add_argument("--max-mean", type=float, default=0.99)
    ap.add_argument("--max-row", type=float, default=1.01)
    a = ap.parse_args()
    runs = [r for path in a.logs for r in runs_of(path)]
    base = [t for name, t in runs if name == a.base]
    cand = [t for name, t in runs if name == a.cand]
    if not base or not cand:
        sys.exit(f"no runs of {a.base!r} ({len(base)}) or {a.cand!r} ({len(cand)}) in {a.logs}")
    rows = [k for k in base[0] if all(k in t for t in base + cand)]
    ratios = []
    print(f"{'D':>4} {'mask':>7} {'keep':>5}  {a.base} ({len(base)} runs)  {a.cand} ({len(cand)} runs)  ratio")
    for k in rows:
        b = geomean([t[k] for t in base])
        c = geomean([t[k] for t in cand])
        ratios.append(c / b)
        print(f"{k[0]:>4} {k[1]:>7} {k[2]:>5}  {b:10.3f}  {c:10.3f}  {c / b:.4f}")
    mean, worst = geomean(ratios), max(ratios)
    ok = mean < a.max_mean and worst <= a.max_row
    # One order alone (base, cand, base) gives the base the first and last places: no
    # verdict until both trees have run as often, i.e. in both orders.
    verdict = ("MERGE" if ok else "do not merge") if len(base) == len(cand) else \
        f"no verdict: {len(base)} runs of {a.base}, {len(cand)} of {a.cand} (one call order only)"
    print(f"geometric mean {mean:.4f} (rule < {a.max_mean}), worst row {worst:.4f} "
          f"(rule <= {a.max_row}): {verdict}")


if __name__ == "__main__":
    main()
