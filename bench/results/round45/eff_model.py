"""The skip efficiency that cycles alone predict, CogVideoX, random masks: each query
tile costs a + b * (computed key tiles) cycles (round 44's trace of main at keep 0.25:
b = 2485, a = 3720, plus ~300 cycles to receive the next tile), handed out as main's tile
order does for random masks (heads in order, each heaviest first) to the first free CTA.
eff = f * t(keep 1) / t(f) over 5 random masks; at 132 CTAs (full grid) and 44 (a third,
round 44's third-grid.patch). Round 44 measured 0.990 / 0.971 / 0.921 at keep 0.5 / 0.25
/ 0.1 on 44 SMs; the model says what full grid would give if time followed cycles.
The list scheduling is round 21's (tail_simulation.py).
    python3 bench/results/round45/eff_model.py"""
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "round21"))
from tail_simulation import makespan as list_schedule  # noqa: E402

HEADS, Q_TILES, KEY_TILES = 48, 93, 139
PER_KEY_TILE, PER_TILE, RECEIVE = 2485.0, 3720.0, 300.0


def tile_costs(computed: np.ndarray) -> np.ndarray:
    """Cycles of each query tile, from its count of computed key tiles."""
    return PER_KEY_TILE * computed + PER_TILE + RECEIVE


def main_order(computed: np.ndarray) -> np.ndarray:
    """The tiles' costs in main's order for random masks: heads in order, each heaviest first."""
    cost = tile_costs(computed)
    return np.concatenate([cost[h][np.argsort(-computed[h], kind="stable")] for h in range(HEADS)])


def makespan(keep: float, ctas: int, rng) -> float:
    computed = rng.binomial(KEY_TILES, keep, size=(HEADS, Q_TILES))
    return list_schedule(main_order(computed), ctas)


if __name__ == "__main__":
    rng = np.random.default_rng(0)
    for ctas in (132, 44):
        dense = makespan(1.0, ctas, rng)
        effs = {f: np.mean([f * dense / makespan(f, ctas, rng) for _ in range(5)])
                for f in (0.75, 0.5, 0.25, 0.1)}
        print(f"{ctas:3d} CTAs: " + "  ".join(f"keep {f:g}: eff {e:.3f}" for f, e in effs.items()))
