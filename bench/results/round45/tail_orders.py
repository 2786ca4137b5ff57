"""What a different tile order could take off the end-of-grid tail, by round 45's cycle
model (eff_model.py: round 44's per-tile cost, list-scheduled on 132 CTAs), CogVideoX,
random masks, 8 masks a keep. Orders: main's (heads in order, each heaviest first), the
last N heads' tiles sorted heaviest first together, and one global sort (which thrashed
L2 in the fifth session). Sixteenth session: global LPT gains 0.4-0.7% of eff, the last
heads' sorts -0.2% to +0.5%: the tail (1.3% at keep 0.5) is the size of a tile, not the order.
    python3 bench/results/round45/tail_orders.py"""
import numpy as np

from eff_model import HEADS, KEY_TILES, Q_TILES, list_schedule, main_order, tile_costs


def orders(computed: np.ndarray) -> dict[str, np.ndarray]:
    """The tiles' costs in each order compared."""
    per_head = main_order(computed)
    out = {"main": per_head}
    for last_heads in (2, 3, 4, 6):
        k = last_heads * Q_TILES
        out[f"last{last_heads}heads-LPT"] = np.concatenate([per_head[:-k], np.sort(per_head[-k:])[::-1]])
    out["global-LPT"] = np.sort(tile_costs(computed).ravel())[::-1]
    return out


rng = np.random.default_rng(0)
ctas = 132
dense = list_schedule(tile_costs(np.full(HEADS * Q_TILES, KEY_TILES)), ctas)
for f in (0.75, 0.5, 0.25, 0.1):
    acc = {}
    for _ in range(8):
        computed = rng.binomial(KEY_TILES, f, size=(HEADS, Q_TILES))
        for name, o in orders(computed).items():
            acc.setdefault(name, []).append(f * dense / list_schedule(o, ctas))
    print(f"keep {f}: " + "  ".join(f"{n} {np.mean(v):.4f}" for n, v in acc.items()))
