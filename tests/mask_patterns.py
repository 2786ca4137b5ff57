"""Structured skip masks, the shapes video attention actually produces, for the tests.

Random masks exercise every bit pattern a little; these exercise the patterns that matter:
a local window around the diagonal (spatial neighbourhoods), whole frames (temporal
blocks), a few global key tiles every query keeps (text or sink tokens), heads that keep
fixed key columns, alternating tiles (no two consecutive visited tiles are neighbours),
and heads that are entirely dense or entirely skipped within one call.

Every pattern draws its widths and offsets afresh from torch's generator, so each run
sees a different instance. Returned as bool skip tiles [B, H, Tm, Tn] (True = skipped);
tests/test_mask_patterns.py checks that each pattern has the structure it claims, so a
kernel test on one cannot pass on a degenerate (all-kept or all-skipped) mask.
"""

from __future__ import annotations

import torch

KINDS = ("band", "frames", "sink_band", "columns", "checkerboard", "per_head")


def _diagonal(num_query_tiles: int, num_key_tiles: int, device) -> torch.Tensor:
    """[Tm, 1] key-tile position of each query tile's centre when Sq != Sk."""
    m = torch.arange(num_query_tiles, device=device, dtype=torch.float64)
    return ((m + 0.5) * num_key_tiles / num_query_tiles).unsqueeze(-1)


def _band(num_query_tiles: int, num_key_tiles: int, half_width: float, device) -> torch.Tensor:
    """[Tm, Tn] True where key tile n lies within half_width tiles of the diagonal."""
    n = torch.arange(num_key_tiles, device=device, dtype=torch.float64) + 0.5
    return (n - _diagonal(num_query_tiles, num_key_tiles, device)).abs() <= half_width


def kept_tiles(kind: str, batch: int, heads: int, num_query_tiles: int, num_key_tiles: int,
               device="cpu") -> torch.Tensor:
    """bool [B, H, Tm, Tn], True = computed, for one of KINDS. Each kind builds the
    smallest tensor that broadcasts to that shape; one expand at the end fills it."""
    tm, tn = num_query_tiles, num_key_tiles
    if kind == "band":
        half_width = 1.5 + float(torch.rand(())) * 1.5
        keep = _band(tm, tn, half_width, device)
    elif kind == "frames":
        # Key tiles grouped into frames; a query keeps its own frame and the previous one.
        frame = int(torch.randint(3, 6, ()))
        query_frame = (_diagonal(tm, tn, device) // frame).long()
        key_frame = torch.arange(tn, device=device) // frame
        keep = (key_frame <= query_frame) & (key_frame >= query_frame - 1)
    elif kind == "sink_band":
        sinks = int(torch.randint(1, 3, ()))
        keep = _band(tm, tn, 1.0, device)
        keep[:, :sinks] = True
    elif kind == "columns":
        # Each (batch, head) keeps its own ~25% of key columns in every query tile.
        keep = torch.rand(batch, heads, 1, tn, device=device) < 0.25
        keep[..., int(torch.randint(0, tn, ()))] = True  # never an empty head
    elif kind == "checkerboard":
        m = torch.arange(tm, device=device).view(tm, 1)
        n = torch.arange(tn, device=device)
        h = torch.arange(heads, device=device).view(heads, 1, 1)
        keep = (m + n + h) % 2 == 0
    elif kind == "per_head":
        if heads < 3:
            raise ValueError(f"per_head needs heads >= 3 (dense, empty, band), got {heads}")
        keep = _band(tm, tn, 1.5, device).repeat(heads, 1, 1)
        keep[0] = True
        keep[1] = False
    else:
        raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
    return keep.expand(batch, heads, tm, tn).clone()


def skip_tiles(kind: str, batch: int, heads: int, num_query_tiles: int, num_key_tiles: int,
               device="cpu") -> torch.Tensor:
    """bool [B, H, Tm, Tn], True = skipped: the skip_in tiles of one of KINDS."""
    return ~kept_tiles(kind, batch, heads, num_query_tiles, num_key_tiles, device)
