"""What a different tile order could take off the end-of-grid tail, by round 45's cycle
model (eff_model.py: round 44's per-tile cost, list-scheduled on 132 CTAs), CogVideoX,
random masks, 8 masks a keep. Orders: main's (heads in order, each heaviest first), the
last N heads' tiles sorted heaviest first together, and one global sort (which thrashed
L2 in the fifth session). Sixteenth session: global LPT gains 0.4-0.7% of eff, the last
heads' sorts 0-0.4%: the tail (1.3% at keep 0.5) is the size of a tile, not the order.
    python3 bench/results/round45/tail_orders.py"""
import sys
from pathlib import Path
import numpy as np
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "round21"))
from tail_simulation import makespan as list_schedule
HEADS, Q_TILES, KEY_TILES = 48, 93, 139
B, A, R = 2485.0, 3720.0, 300.0
def orders(computed):
    cost = B * computed + A + R
    per_head = np.concatenate([cost[h][np.argsort(-computed[h], kind="stable")] for h in range(HEADS)])
    out = {"main": per_head}
    for last_heads in (2, 3, 4, 6):
        k = last_heads * Q_TILES
        head = per_head[:-k]; tail = np.sort(per_head[-k:])[::-1]
        out[f"last{last_heads}heads-LPT"] = np.concatenate([head, tail])
    out["global-LPT"] = np.sort(cost.ravel())[::-1]
    return out
rng = np.random.default_rng(0)
ctas = 132
dense = list_schedule(np.full(HEADS * Q_TILES, B * KEY_TILES + A + R), ctas)
for f in (0.75, 0.5, 0.25, 0.1):
    acc = {}
    for _ in range(8):
        computed = rng.binomial(KEY_TILES, f, size=(HEADS, Q_TILES))
        for name, o in orders(computed).items():
            acc.setdefault(name, []).append(f * dense / list_schedule(o, ctas))
    print(f"keep {f}: " + "  ".join(f"{n} {np.mean(v):.4f}" for n, v in acc.items()))
