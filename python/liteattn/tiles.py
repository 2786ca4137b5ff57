"""Tile shapes and the tile grid of one attention call (DESIGN.md section 2).

The kernel fixes the tile shape per (head dim, dtype) in include/liteattn/traits.h, and
every skip mask is laid out in those tiles, so Python must use exactly the compiled
shape. When the extension is built we ask it; the table below mirrors traits.h for
installs without the extension (the CPU reference) and tests/test_tiles.py checks that
the two agree.
"""

import functools
import importlib
import math
from types import ModuleType
from typing import NamedTuple

import torch

SUPPORTED_HEAD_DIMS = (64, 128)
SUPPORTED_DTYPES = (torch.bfloat16, torch.float16)

# (head_dim, dtype) -> (BM, BN); keep in step with FwdTileConfig in traits.h.
TILE_SHAPES = {
    (64, torch.bfloat16): (192, 128),
    (64, torch.float16): (192, 128),
    (128, torch.bfloat16): (128, 128),
    (128, torch.float16): (128, 128),
}

# One int32 word of a skip-mask row holds this many key tiles.
BITS_PER_WORD = 32
# Longest skip-mask row the kernel takes (kMaxMaskWords in include/liteattn/traits.h,
# checked against _C.max_mask_words by tests/test_tiles.py): masks cover up to
# MAX_MASK_WORDS * 32 key tiles.
MAX_MASK_WORDS = 256

_DTYPE_NAMES = {torch.bfloat16: "bf16", torch.float16: "fp16"}


class TileGrid(NamedTuple):
    """Tile counts of one call: Tm query tiles, Tn key tiles, W mask words per row."""

    num_query_tiles: int
    num_key_tiles: int
    num_words: int


def _dtype_name(dtype: torch.dtype) -> str:
    """The name the compiled binding uses for `dtype`: "bf16" or "fp16"."""
    if dtype not in _DTYPE_NAMES:
        supported = ", ".join(str(d) for d in SUPPORTED_DTYPES)
        raise ValueError(f"dtype must be one of {supported}, got {dtype}")
    return _DTYPE_NAMES[dtype]


@functools.cache
def load_extension() -> tuple[ModuleType | None, ImportError | None]:
    """(liteattn._C, None), or (None, the ImportError) when it is not built.

    The one place the extension is imported: lazily and only once, since it is optional
    and importing it at module load would make every CPU-only import pay for (or fail
    on) CUDA libraries."""
    try:
        return importlib.import_module("liteattn._C"), None
    except ImportError as error:
        return None, error


def _compiled() -> ModuleType | None:
    return load_extension()[0]


def tile_shape(head_dim: int, dtype: torch.dtype) -> tuple[int, int]:
    """The kernel's (BM, BN) for `head_dim` and `dtype`."""
    name = _dtype_name(dtype)
    if head_dim not in SUPPORTED_HEAD_DIMS:
        supported = ", ".join(str(d) for d in SUPPORTED_HEAD_DIMS)
        raise ValueError(f"head_dim must be one of {supported}, got {head_dim}")
    compiled = _compiled()
    if compiled is not None:
        block_m, block_n = compiled.tile_shape(head_dim, name)
        return int(block_m), int(block_n)
    return TILE_SHAPES[(head_dim, dtype)]


def num_words(num_key_tiles: int) -> int:
    """W: int32 words needed for a mask row of `num_key_tiles` bits."""
    return math.ceil(num_key_tiles / BITS_PER_WORD)


def grid_from_block_shape(seqlen_q: int, seqlen_k: int, block_shape: tuple[int, int]) -> TileGrid:
    """The tile grid for an explicit (BM, BN), as the reference takes for float32 tests."""
    block_m, block_n = block_shape
    num_key_tiles = math.ceil(seqlen_k / block_n)
    return TileGrid(math.ceil(seqlen_q / block_m), num_key_tiles, num_words(num_key_tiles))


def tile_grid(seqlen_q: int, seqlen_k: int, head_dim: int, dtype: torch.dtype) -> TileGrid:
    """The kernel's tile grid for one call: (Tm, Tn, W)."""
    return grid_from_block_shape(seqlen_q, seqlen_k, tile_shape(head_dim, dtype))
