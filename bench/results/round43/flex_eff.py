"""Flex's own skip efficiency next to ours, from compare.py JSON files:
eff_flex(f) = f_actual * t_flex(keep 1) / t_flex(f), so that
vs_flex(f) = vs_flex(1) * eff_lite(f) / eff_flex(f) shows which side moves the ratio.
    python3 bench/results/round43/flex_eff.py compare_*.json"""
import json
import sys

for path in sys.argv[1:]:
    with open(path) as f:
        report = json.load(f)
    print(path)
    keep1 = {r["mask"]: r["flex"]["median_ms"] for r in report["sparse"] if r["keep"] == 1}
    for r in report["sparse"]:
        flex, lite = r["flex"]["median_ms"], r["liteattn"]["median_ms"]
        eff_flex = r["keep_actual"] * keep1[r["mask"]] / flex
        print(f"  {r['mask']:6s} {r['keep']:5g}  eff_lite {r['skip_efficiency']:.3f}"
              f"  eff_flex {eff_flex:.3f}  ratio {r['skip_efficiency'] / eff_flex:.3f}"
              f"  vs_flex {flex / lite:.3f}")
