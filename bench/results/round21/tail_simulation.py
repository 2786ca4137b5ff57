"""List-scheduling simulation of the persistent scheduler, used to compare tile orders
(fifth session): 132 SMs take tiles in hand-out order, each the moment it is free; a
tile costs a + b * (its computed key tiles), a and b fitted to the C++ bench rows
(results/round18). Prints the tail, makespan / (total work / 132) - 1, averaged over
three mask draws, for the per-head order (None) and the relative two-class orders with
a light threshold of 1/2 and 1/4 of the head's heaviest tile.

    python3 bench/results/round21/tail_simulation.py
"""
import heapq
import random


def makespan(durations, sms=132):
    free_at = [0.0] * sms
    for d in durations:
        t = heapq.heappop(free_at)
        heapq.heappush(free_at, t + d)
    return max(free_at)


def draw(shape, mask, f, seed):
    heads, tm, tn = shape
    rng = random.Random(seed)
    out = []
    for _ in range(heads):
        if mask == "random":
            ks = [sum(rng.random() < f for _ in range(tn)) for _ in range(tm)]
        else:  # half the tiles keep 9x as many as the other half, mean f
            ks = [round(tn * (1.8 * f if rng.random() < 0.5 else 0.2 * f)) for _ in range(tm)]
        out.append(sorted(ks, reverse=True))
    return out


def hand_out(heads, threshold):
    if threshold is None:
        return [k for ks in heads for k in ks]
    heavy = [k for ks in heads for k in ks if threshold * k >= max(ks)]
    light = [k for ks in heads for k in ks if threshold * k < max(ks)]
    return heavy + light


SHAPES = {  # (heads, query tiles, key tiles), a (us), b (us per key tile)
    "CogVideoX": ((48, 93, 139), 3.7, 7.27e3 * 132 / (48 * 93 * 139)),
    "Wan 480p": ((40, 256, 256), 2.4, 34.4e3 * 132 / (40 * 256 * 256)),
}
if __name__ == "__main__":
    for name, (shape, a, b) in SHAPES.items():
        for mask in ("random", "skewed"):
            for f in (0.25, 0.1):
                cells = []
                for threshold in (None, 2, 4):
                    tails = []
                    for seed in range(3):
                        d = [a + b * k for k in hand_out(draw(shape, mask, f, seed), threshold)]
                        tails.append(makespan(d) / (sum(d) / 132) - 1)
                    cells.append(f"{threshold}: {100 * sum(tails) / 3:.2f}%")
                print(f"{name:10s} {mask:6s} f={f:<5}", "  ".join(cells))
