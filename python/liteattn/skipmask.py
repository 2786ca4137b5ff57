"""The skip-mask layout of DESIGN.md section 3 and helpers to build and read masks.

A mask is int32 [B, Hq, Tm, W], contiguous: key tile j of query tile m is bit j % 32
(LSB first) of word j // 32, 1 = skip, bits at j >= Tn are 0. must_compute is int32 [W]
in the same bit layout. Everything here stays on the mask's device and returns tensors,
so callers decide when (and whether) to synchronise.
"""

from collections.abc import Iterable, Sequence

import torch

from liteattn.tiles import BITS_PER_WORD, num_words, tile_grid, tile_shape


def new_mask(
    batch: int,
    heads: int,
    seqlen_q: int,
    seqlen_k: int,
    head_dim: int,
    dtype: torch.dtype,
    device: torch.device | str | None = None,
) -> torch.Tensor:
    """An all-zero (skip nothing) mask for one call's shape."""
    grid = tile_grid(seqlen_q, seqlen_k, head_dim, dtype)
    return torch.zeros(
        batch, heads, grid.num_query_tiles, grid.num_words, dtype=torch.int32, device=device
    )


def _bit_positions(device: torch.device) -> torch.Tensor:
    return torch.arange(BITS_PER_WORD, dtype=torch.int64, device=device)


def words_to_tiles(mask: torch.Tensor, num_key_tiles: int) -> torch.Tensor:
    """Unpack int32 words [..., W] into bool tiles [..., Tn]; bits at j >= Tn are dropped."""
    if mask.dtype != torch.int32:
        raise TypeError(f"mask must be an int32 tensor, got dtype {mask.dtype}")
    expected_words = num_words(num_key_tiles)
    if mask.dim() == 0 or mask.shape[-1] != expected_words:
        raise ValueError(
            f"mask must have {expected_words} words in its last dimension for "
            f"num_key_tiles={num_key_tiles}, got shape {tuple(mask.shape)}"
        )
    # Widening first makes the shift of bit 31 (the int32 sign bit) well defined.
    bits = (mask.to(torch.int64).unsqueeze(-1) >> _bit_positions(mask.device)) & 1
    return bits.flatten(-2)[..., :num_key_tiles].bool()


def tiles_to_words(tiles: torch.Tensor) -> torch.Tensor:
    """Pack bool tiles [..., Tn] into int32 words [..., W], zero bits at j >= Tn."""
    if tiles.dtype != torch.bool:
        raise TypeError(f"tiles must be a bool tensor, got dtype {tiles.dtype}")
    if tiles.dim() == 0:
        raise ValueError("tiles must have a key-tile dimension, got a 0-d tensor")
    num_key_tiles = tiles.shape[-1]
    padding = num_words(num_key_tiles) * BITS_PER_WORD - num_key_tiles
    padded = torch.nn.functional.pad(tiles.to(torch.int64), (0, padding))
    words = padded.unflatten(-1, (-1, BITS_PER_WORD))
    unsigned = (words << _bit_positions(tiles.device)).sum(dim=-1)
    # Words with bit 31 set exceed the int32 range; wrap them to two's complement
    # explicitly instead of relying on the narrowing cast.
    signed = torch.where(unsigned >= 2**31, unsigned - 2**32, unsigned)
    return signed.to(torch.int32)


def density(mask: torch.Tensor, num_key_tiles: int, per_head: bool = False) -> torch.Tensor:
    """Fraction of (query tile, key tile) pairs skipped.

    Overall it is a 0-d float32 tensor; with per_head=True it is [H] (mask [B, H, Tm, W]),
    averaged over batch and query tiles, since heads are what differ in sparsity.
    """
    skipped = words_to_tiles(mask, num_key_tiles).to(torch.float32)
    if not per_head:
        return skipped.mean()
    if skipped.dim() != 4:
        raise ValueError(
            f"per_head density needs a mask of shape [B, H, Tm, W], got shape {tuple(mask.shape)}"
        )
    return skipped.mean(dim=(0, 2, 3))


def must_compute_from_ranges(
    ranges: Iterable[Sequence[int]],
    seqlen_k: int,
    head_dim: int,
    dtype: torch.dtype,
    device: torch.device | str | None = None,
) -> torch.Tensor:
    """int32 [W] with the bit of every key tile that overlaps a half-open token range."""
    ranges = [tuple(r) for r in ranges]
    for r in ranges:
        if len(r) != 2 or not 0 <= r[0] < r[1] <= seqlen_k:
            raise ValueError(
                f"must_compute range {r} must be (start, end) with "
                f"0 <= start < end <= seqlen_k={seqlen_k}"
            )
    block_n = tile_shape(head_dim, dtype)[1]
    tile_start = torch.arange(0, seqlen_k, block_n, dtype=torch.int64, device=device)
    bounds = torch.tensor(ranges, dtype=torch.int64, device=device).reshape(-1, 2)
    # Tile [t, t + BN) overlaps [start, end) iff t < end and t + BN > start.
    overlaps = (tile_start[:, None] < bounds[:, 1]) & (tile_start[:, None] + block_n > bounds[:, 0])
    return tiles_to_words(overlaps.any(dim=1))


def check_mask(
    name: str,
    mask: torch.Tensor,
    expected_shape: Sequence[int],
    device: torch.device | str,
) -> None:
    """Raise TypeError/ValueError naming `name` unless `mask` has the layout the kernel reads."""
    if not isinstance(mask, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, got {type(mask).__name__}")
    if mask.dtype != torch.int32:
        raise TypeError(f"{name} must have dtype torch.int32, got {mask.dtype}")
    expected_shape = tuple(expected_shape)
    if tuple(mask.shape) != expected_shape:
        raise ValueError(f"{name} must have shape {expected_shape}, got {tuple(mask.shape)}")
    if not mask.is_contiguous():
        raise ValueError(f"{name} must be contiguous, got strides {mask.stride()}")
    device = torch.device(device)
    # A device given without an index ("cuda") matches any index of that type.
    if mask.device.type != device.type or (
        device.index is not None and mask.device.index != device.index
    ):
        raise ValueError(f"{name} must be on device {device}, got {mask.device}")
