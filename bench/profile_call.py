"""The GPU timeline of single liteattn calls: every kernel and memset a call launches, with
its duration and the gap before it, from torch.profiler (CUPTI). Answers "what does a call
cost besides the attention kernel" (the order kernels, the memset, launch gaps), which
end-to-end timing cannot separate from the ~1-2% run-to-run spread.

    python3 bench/profile_call.py [--shapes 1x48x17776x64,1x40x32760x128] [--keep 1,0.1]

Rows: shape, keep fraction (1 = skip_in with nothing skipped; "none" = no skip_in), then
per launched item: name, start offset from the call's first item (us), duration (us).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys

import torch
from torch.profiler import ProfilerActivity, profile

sys.path.insert(0, os.path.dirname(__file__))
from compare import liteattn_words, make_keep_tiles, parse_shapes  # noqa: E402


def timeline(call, calls: int) -> list[list[tuple[str, float, float]]]:
    """Per call, (name, start us, duration us) of its GPU items, in start order."""
    for _ in range(3):
        call()
    torch.cuda.synchronize()
    with profile(activities=[ProfilerActivity.CUDA]) as prof:
        for _ in range(calls):
            call()
            torch.cuda.synchronize()  # separates the calls on the timeline
    events = sorted((e for e in prof.events() if e.device_type.name == "CUDA"),
                    key=lambda e: e.time_range.start)
    groups, current, last_end = [], [], 0.0
    for e in events:
        start, end = e.time_range.start, e.time_range.end
        if current and start - last_end > 200:  # a synchronize between calls
            groups.append(current)
            current = []
        current.append((e.name, start, end - start))
        last_end = end if last_end is None else max(last_end, end)
    if current:
        groups.append(current)
    return groups


def short(name: str) -> str:
    for key in ("order_tiles_by_work", "count_work_classes", "scatter_by_work", "fwd_kernel", "emset", "Memset"):
        if key in name:
            return key
    return name[:40]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--shapes", type=parse_shapes, default=parse_shapes("1x48x17776x64,1x40x32760x128"))
    parser.add_argument("--keep", default="none,1,0.1")
    parser.add_argument("--calls", type=int, default=10)
    args = parser.parse_args(argv)
    import liteattn  # noqa: F401  (registers the op)

    for shape in args.shapes:
        b, h, s, d = shape.batch, shape.heads, shape.seqlen, shape.head_dim
        q, k, v = (torch.randn(b, s, h, d, device="cuda", dtype=torch.bfloat16) for _ in range(3))
        tm, tn = (-(-s // t) for t in liteattn.tile_shape(d, q.dtype))
        for keep in args.keep.split(","):
            skip_in = None
            if keep != "none":
                keep_tiles = make_keep_tiles("random", float(keep), b, h, tm, tn, seed=0)
                skip_in = liteattn_words(liteattn, keep_tiles).cuda()

            def call():
                return torch.ops.liteattn.forward(q, k, v, skip_in, None, -10.0, None, None)

            groups = timeline(call, args.calls)
            names = [short(n) for n, _, _ in groups[-1]]
            print(f"== {b}x{h}x{s}x{d} keep {keep}: {len(groups)} calls, items {names}")
            for i, name in enumerate(names):
                starts = [g[i][1] - g[0][1] for g in groups if len(g) == len(names)]
                durs = [g[i][2] for g in groups if len(g) == len(names)]
                print(f"   {name:22s} start {statistics.median(starts):9.1f} us"
                      f"  dur {statistics.median(durs):9.1f} us")
            total = [g[-1][1] + g[-1][2] - g[0][1] for g in groups if len(g) == len(names)]
            print(f"   {'call (first start to last end)':22s} {statistics.median(total):9.1f} us")
    return 0


if __name__ == "__main__":
    sys.exit(main())
