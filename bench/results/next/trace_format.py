# The per-tile trace file a -DLITEATTN_TRACE build writes (trace.patch and its ports): a
# header of six int32 (grid, tile iterations, roles, events, m blocks, key tiles), then
# uint64 clocks indexed [CTA, tile iteration, role, event]. Role 0 is the producer, role
# 1 + wg consumer warpgroup wg; the events are listed in trace_analysis.py.
import gzip

import numpy as np


def load(path):
    """(clocks as int64 [grid, iters, roles, events], key tiles); .gz or plain."""
    raw = (gzip.open if path.endswith(".gz") else open)(path, "rb").read()
    grid, iters, roles, events, m_blocks, key_tiles = np.frombuffer(raw[:24], dtype=np.int32)
    a = np.frombuffer(raw[24:], dtype=np.uint64).reshape(grid, iters, roles, events)
    return a.astype(np.int64), key_tiles
