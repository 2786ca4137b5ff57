# How far apart a CTA's consumer warpgroups reach the same event of a tile, from a
# -DLITEATTN_TRACE build's trace (trace.patch; event numbers in trace_analysis.py): the
# spread (latest - earliest) per tile, and which warpgroup got there first. Tells whether
# a tile boundary is paid by the warpgroups one after another (spread near a boundary's
# length) or by all at once.
#   python3 trace_alignment.py c_r25.bin.gz ...
import sys

import numpy as np

from trace_format import load

EVENTS = {0: "tile start", 1: "Q ready", 3: "first Q K^T turn", 9: "first S ready",
          10: "first softmax done", 11: "loop left", 13: "last P V done", 6: "next received"}


for path in sys.argv[1:]:
    a, _ = load(path)
    roles = [r for r in range(1, a.shape[2]) if a[:, :, r, 0].any()]
    ntiles = (a[:, :, roles[0], 6] > 0).sum(1)
    print(f"{path}: {len(roles)} consumer warpgroups; spread of the warpgroups' clocks "
          f"at each event of a tile (cycles)")
    for event, name in EVENTS.items():
        spreads, first = [], np.zeros(len(roles), int)
        for c in range(a.shape[0]):
            for t in range(ntiles[c]):
                v = a[c, t, roles, event]
                if (v == 0).any() or a[c, t, roles[0], 2] == 0:  # missing, or no GEMM at all
                    continue
                spreads.append(v.max() - v.min())
                first[np.argmin(v)] += 1
        s = np.array(spreads)
        print(f"  {name:20s} median {np.median(s):6.0f}  p90 {np.percentile(s, 90):6.0f}"
              f"  first to get there, by warpgroup: {first.tolist()}")
