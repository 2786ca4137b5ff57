# Summary of a per-tile trace from a -DLITEATTN_TRACE build (trace.patch, ninth session):
# where each consumer warpgroup's cycles go in a query tile, phase by phase, the key-tile
# loop fitted as a + b * key tiles, the spread of the CTAs' end times (the tail), and the
# SM clock the run had (cycles over globaltimer nanoseconds).
#   python3 trace_analysis.py c_s25.bin ...
# Events (trace.patch): consumer role 1 + wg: 0 tile start, 1 Q ready, 2 first K ready,
# 3 turn to issue the first Q K^T, 8 previous tile's store issued (under that GEMM),
# 9 first S ready, 10 first softmax done, 11 key-tile loop left, 12 last V ready and
# turn, 13 last P V done, 4 mainloop returned, 5 finalize + finish done, 6 next tile
# received, 7 globaltimer at tile start (ns), 14 key tiles computed, 15 (tile_iter 0's
# slot only) globaltimer when the warpgroup leaves its tile loop. Producer role 0:
# 0 tile start, 1 Q slot free, 2 first K issued, 6 mask-row hook done, 3 loads issued,
# 4 next tile published, 5 key tiles loaded, 7 next tile index.
import sys

import numpy as np

from trace_format import load

PHASES = [  # (name, from event, to event), consumer side, per tile
    ("q wait", 0, 1), ("first K wait", 1, 2), ("turn wait", 2, 3),
    ("store issue", 3, 8), ("first S wait", 8, 9), ("first softmax", 9, 10),
    ("loop", 10, 11), ("last V + turn", 11, 12), ("last P V", 12, 13),
    ("mma return", 13, 4), ("finalize+finish", 4, 5), ("receive", 5, 6)]
# With --cross-tile (0024, trace-xt.patch): the first step issues the previous tile's
# last P V with this tile's first Q K^T; 10 first softmax done, 13 the previous tile's
# rows stored and their slot back (12, the previous P V done, lies between); the loop
# runs 13 -> 11; 4 mainloop returned, 5 the empty-tile epilogue (if any) done.
PHASES_CROSS_TILE = [
    ("q wait", 0, 1), ("first K wait", 1, 2), ("turn wait", 2, 3),
    ("first issue", 3, 8), ("first S wait", 8, 9), ("first softmax", 9, 10),
    ("prev P V + store", 10, 13), ("loop", 13, 11), ("mma return", 11, 4),
    ("after mma", 4, 5), ("receive", 5, 6)]
LOOP_FROM = 10
if "--cross-tile" in sys.argv:
    sys.argv.remove("--cross-tile")
    PHASES, LOOP_FROM = PHASES_CROSS_TILE, 13


for path in sys.argv[1:]:
    a, key_tiles = load(path)
    grid = a.shape[0]
    roles = [r for r in range(1, a.shape[2]) if a[:, :, r, 0].any()]
    ntiles = (a[:, :, roles[0], 6] > 0).sum(1)
    print(f"{path}: grid {grid}, consumer warpgroups {len(roles)}, key tiles {key_tiles}, "
          f"tiles/CTA mean {ntiles.mean():.1f} min {ntiles.min()} max {ntiles.max()}")
    sums = {name: 0 for name, _, _ in PHASES}
    sums["between tiles"] = 0
    loop, ks, totals = [], [], []
    count = 0
    for c in range(grid):
        n = ntiles[c]
        for w in roles:
            e = a[c, :n, w, :]
            for t in range(n):
                if e[t, 2] == 0:  # a row with every key tile skipped: no GEMM events
                    continue
                count += 1
                for name, f, to in PHASES:
                    sums[name] += e[t, to] - e[t, f]
                if t + 1 < n:
                    sums["between tiles"] += e[t + 1, 0] - e[t, 6]
                loop.append(e[t, 11] - e[t, LOOP_FROM])
                ks.append(e[t, 14])
                totals.append(e[t, 6] - e[t, 0])
    ks, loop, totals = (np.array(x, float) for x in (ks, loop, totals))
    whole = sum(sums.values())
    print(f"  per tile and warpgroup, mean cycles (share of the warpgroup's time); "
          f"mean key tiles {ks.mean():.1f}:")
    for name, v in sums.items():
        print(f"    {name:16s} {v / count:8.0f}  ({100 * v / whole:4.1f}%)")
    if np.ptp(ks) > 0:  # a fit needs rows of different lengths (not keep 1)
        slope, icpt = np.linalg.lstsq(np.vstack([ks - 1, np.ones_like(ks)]).T, loop,
                                      rcond=None)[0]
        t_slope, t_icpt = np.linalg.lstsq(np.vstack([ks, np.ones_like(ks)]).T, totals,
                                          rcond=None)[0]
        print(f"  loop: {slope:.0f} cycles a key tile after the first, + {icpt:.0f}")
        print(f"  whole tile: {t_slope:.0f} * key tiles + {t_icpt:.0f} cycles "
              f"(fixed cost = {t_icpt / t_slope:.2f} key tiles)")
    else:
        per_key = loop.mean() / max(ks[0] - 1, 1)
        print(f"  every row {ks[0]:.0f} key tiles: loop {per_key:.0f} cycles a key tile; "
              f"outside the loop {(totals - loop).mean():.0f} cycles a tile "
              f"({(totals - loop).mean() / per_key:.2f} key tiles)")
    gt = a[:, :, roles[0], 7]
    t0 = gt[gt > 0].min()
    ends = np.array([max(a[c, 0, r, 15] for r in roles) - t0 for c in range(grid)], float)
    print(f"  CTA end (ns after the first tile start): max {ends.max():.0f} mean "
          f"{ends.mean():.0f} -> tail {(1 - ends.mean() / ends.max()) * 100:.1f}% of the run")
    # The SM clock over the run: each CTA's cycles (event 0, clock64) over its nanoseconds
    # (event 7, globaltimer) from its first tile start to its last. At the board's power
    # cap this, not the cycle count, is what a sparse call may lose against a dense one.
    w = roles[0]
    clocks = [(a[c, ntiles[c] - 1, w, 0] - a[c, 0, w, 0]) / (a[c, ntiles[c] - 1, w, 7] - a[c, 0, w, 7])
              for c in range(grid) if ntiles[c] > 1 and a[c, ntiles[c] - 1, w, 7] > a[c, 0, w, 7]]
    if clocks:
        print(f"  SM clock (cycles / ns, first to last tile start of each CTA): median "
              f"{np.median(clocks):.3f} GHz, range {min(clocks):.3f}-{max(clocks):.3f}")
    prod = a[:, :, 0, :]
    done = prod[:, :, 3] > 0
    hooked = done & (prod[:, :, 2] > 0) & (np.arange(prod.shape[1]) > 0)[None, :]
    print(f"  producer per tile: Q slot wait {np.mean((prod[:, :, 1] - prod[:, :, 0])[done]):.0f}, "
          f"mask hook {np.mean((prod[:, :, 6] - prod[:, :, 2])[hooked]):.0f}, "
          f"publish {np.mean((prod[:, :, 4] - prod[:, :, 3])[done]):.0f} cycles")
