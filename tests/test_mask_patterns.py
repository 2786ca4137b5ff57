"""The structured masks of mask_patterns have the structure they claim (CPU).

The GPU tests feed these masks to the kernel; if a pattern silently degenerated to all
kept or all skipped, those tests would pass without testing skipping at all.
"""

import pytest
import torch

from liteattn import skipmask
from mask_patterns import KINDS, kept_tiles, skip_tiles

# (Tm, Tn) of the GPU tests' shapes (D = 64: 192x128 tiles, D = 128: 128x128) and a square.
GRIDS = [(6, 23), (9, 23), (16, 16)]


def contiguous_rows(keep: torch.Tensor) -> bool:
    """Every row's kept tiles form one run (no gaps)."""
    first = keep.float().argmax(-1)
    last = keep.shape[-1] - 1 - keep.flip(-1).float().argmax(-1)
    return bool((keep.sum(-1) == last - first + 1).all())


@pytest.mark.parametrize("grid", GRIDS, ids=str)
@pytest.mark.parametrize("kind", KINDS)
def test_every_pattern_mixes_kept_and_skipped(kind, grid):
    keep = kept_tiles(kind, 2, 4, *grid)
    assert keep.shape == (2, 4, *grid) and keep.dtype == torch.bool
    assert keep.any() and not keep.all(), f"{kind}: degenerate mask"
    skip = skip_tiles(kind, 2, 4, *grid)
    assert skip.shape == keep.shape and skip.dtype == torch.bool and skip.any()
    words = skipmask.tiles_to_words(~keep)
    assert torch.equal(skipmask.words_to_tiles(words, grid[1]), ~keep)


@pytest.mark.parametrize("grid", GRIDS, ids=str)
def test_band_keeps_one_run_per_row_along_the_diagonal(grid):
    keep = kept_tiles("band", 1, 2, *grid)
    assert contiguous_rows(keep) and (keep.sum(-1) >= 2).all()
    first = keep.float().argmax(-1)[0, 0]
    assert (first[1:] >= first[:-1]).all(), "the band must move right with the query tile"


@pytest.mark.parametrize("grid", GRIDS, ids=str)
def test_frames_keep_whole_frames(grid):
    keep = kept_tiles("frames", 1, 1, *grid)
    assert contiguous_rows(keep) and (keep.sum(-1) >= 1).all()
    # Rows keep either one or two frames: their runs start on a shared frame boundary.
    starts = set(keep.float().argmax(-1).flatten().tolist())
    assert 0 in starts and len(starts) >= 2


@pytest.mark.parametrize("grid", GRIDS, ids=str)
def test_sink_band_keeps_the_first_key_tile_everywhere(grid):
    keep = kept_tiles("sink_band", 2, 2, *grid)
    assert keep[..., 0].all()
    assert not contiguous_rows(keep), "some row should have a gap between sink and band"


def test_columns_are_the_same_in_every_row_of_a_head():
    keep = kept_tiles("columns", 2, 3, 9, 23)
    assert torch.equal(keep, keep[:, :, :1].expand_as(keep))
    assert keep[:, :, 0].any(-1).all(), "a head with no kept column"
    assert not torch.equal(keep[0, 0], keep[0, 1]) or not torch.equal(keep[0, 1], keep[0, 2])


def test_checkerboard_never_keeps_neighbours():
    keep = kept_tiles("checkerboard", 1, 2, 9, 23)
    assert not (keep[..., 1:] & keep[..., :-1]).any()
    assert torch.equal(keep[0, 0], ~keep[0, 1])


def test_per_head_has_a_dense_an_empty_and_a_banded_head():
    keep = kept_tiles("per_head", 1, 4, 9, 23)
    assert keep[:, 0].all() and not keep[:, 1].any()
    assert keep[:, 2:].any() and not keep[:, 2:].all()
    with pytest.raises(ValueError, match="heads >= 3"):
        kept_tiles("per_head", 1, 2, 9, 23)


def test_unknown_kind_is_named():
    with pytest.raises(ValueError, match="'diagonal'"):
        kept_tiles("diagonal", 1, 1, 4, 4)
