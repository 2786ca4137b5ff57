"""The executable form of DESIGN.md section 4, in PyTorch.

This is both the CPU implementation of the op and the oracle the kernel is tested
against, so it follows the contract literally rather than the kernel's algorithm: it
builds the whole score matrix of a chunk of heads with one matmul, masks skipped tiles
to -inf, and derives the softmax and the skip decisions from it. Work is vectorised
over batch, heads and tiles; heads are processed in chunks only to bound memory.
"""

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from liteattn import skipmask
from liteattn.tiles import SUPPORTED_DTYPES, TileGrid, grid_from_block_shape, tile_shape

LOG2_E = math.log2(math.e)

# Largest score matrix (elements) one chunk of heads may build: 128 MB in float32,
# whatever the sequence length. A single head is always allowed.
_MAX_CHUNK_SCORES = 1 << 25

_COMPUTE_DTYPES = (torch.float32, torch.float64)


@dataclass(frozen=True)
class _Call:
    """Sizes of one call and its computed tiles, shared by the forward and the decisions."""

    batch: int
    seqlen_q: int
    seqlen_k: int
    heads_q: int
    heads_kv: int
    block_m: int
    block_n: int
    grid: TileGrid
    scale: float
    compute_dtype: torch.dtype
    computed: torch.Tensor  # bool [B, Hq, Tm, Tn], the tiles of P in section 4 step 1

    def head_chunks(self) -> list[slice]:
        grid = self.grid
        rows = grid.num_query_tiles * self.block_m
        cols = grid.num_key_tiles * self.block_n
        step = max(1, _MAX_CHUNK_SCORES // max(1, self.batch * rows * cols))
        return [slice(h, min(h + step, self.heads_q)) for h in range(0, self.heads_q, step)]


def _check_inputs(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor) -> None:
    for name, t in (("q", q), ("k", k), ("v", v)):
        if not isinstance(t, torch.Tensor):
            raise TypeError(f"{name} must be a torch.Tensor, got {type(t).__name__}")
        if t.dim() != 4 or not t.is_floating_point():
            got = f"{t.dtype} of shape {tuple(t.shape)}"
            raise ValueError(f"{name} must be a 4-D floating-point tensor, got {got}")
    if k.dtype != q.dtype or v.dtype != q.dtype:
        raise ValueError(f"q, k and v must share a dtype, got {q.dtype}, {k.dtype}, {v.dtype}")
    if k.device != q.device or v.device != q.device:
        raise ValueError(f"q, k and v must share a device, got {q.device}, {k.device}, {v.device}")
    if k.shape != v.shape:
        raise ValueError(
            f"k and v must have the same shape, got {tuple(k.shape)} and {tuple(v.shape)}"
        )
    batch, _, heads_q, head_dim = q.shape
    if k.shape[0] != batch or k.shape[3] != head_dim:
        raise ValueError(
            f"k must be [B={batch}, Sk, Hkv, D={head_dim}] to match q {tuple(q.shape)}, "
            f"got {tuple(k.shape)}"
        )
    if k.shape[2] < 1 or heads_q % k.shape[2] != 0:
        raise ValueError(f"q heads ({heads_q}) must be a multiple of k/v heads ({k.shape[2]})")


def _prepare(
    q: torch.Tensor,
    k: torch.Tensor,
    v: torch.Tensor,
    skip_in: torch.Tensor | None,
    softmax_scale: float | None,
    block_shape: tuple[int, int] | None,
    compute_dtype: torch.dtype,
) -> _Call:
    _check_inputs(q, k, v)
    if compute_dtype not in _COMPUTE_DTYPES:
        raise ValueError(
            f"compute_dtype must be torch.float32 or torch.float64, got {compute_dtype}"
        )
    batch, seqlen_q, heads_q, head_dim = q.shape
    seqlen_k, heads_kv = k.shape[1], k.shape[2]
    if block_shape is None:
        if q.dtype not in SUPPORTED_DTYPES:
            # Tile shapes exist only for the kernel's dtypes; inventing one for float32
            # would silently lay masks out differently from any kernel.
            raise ValueError(f"block_shape is required for q of dtype {q.dtype}")
        block_shape = tile_shape(head_dim, q.dtype)
    block_m, block_n = block_shape
    grid = grid_from_block_shape(seqlen_q, seqlen_k, block_shape)
    mask_shape = (batch, heads_q, grid.num_query_tiles, grid.num_words)
    if skip_in is None:
        tiles_shape = mask_shape[:3] + (grid.num_key_tiles,)
        computed = torch.ones(tiles_shape, dtype=torch.bool, device=q.device)
    else:
        skipmask.check_mask("skip_in", skip_in, mask_shape, q.device)
        computed = ~skipmask.words_to_tiles(skip_in, grid.num_key_tiles)
    scale = 1.0 / math.sqrt(head_dim) if softmax_scale is None else softmax_scale
    return _Call(
        batch, seqlen_q, seqlen_k, heads_q, heads_kv, block_m, block_n, grid, scale,
        compute_dtype, computed,
    )


def _heads_of(call: _Call, x: torch.Tensor, heads: slice, padded_len: int) -> torch.Tensor:
    """[B, S, H, D] -> [B, h, padded_len, D] for query heads `heads`, zero rows past S."""
    if x.shape[2] != call.heads_q:
        # GQA: query head h reads kv head h // (Hq / Hkv).
        group = call.heads_q // call.heads_kv
        x = x.index_select(2, torch.arange(heads.start, heads.stop, device=x.device) // group)
    else:
        x = x[:, :, heads]
    x = x.transpose(1, 2).to(call.compute_dtype)
    return F.pad(x, (0, 0, 0, padded_len - x.shape[2]))


def _masked_scores(call: _Call, q: torch.Tensor, k: torch.Tensor, heads: slice) -> torch.Tensor:
    """S = scale * q.k for `heads`, [B, h, Tm*BM, Tn*BN], -inf outside computed columns.

    Padding to whole tiles lets every tile be a view; padded key columns are -inf so they
    never win a row max, and padded query rows are cropped or ignored by the callers.
    """
    grid = call.grid
    q_heads = _heads_of(call, q, heads, grid.num_query_tiles * call.block_m)
    k_heads = _heads_of(call, k, heads, grid.num_key_tiles * call.block_n)
    scores = torch.matmul(q_heads, k_heads.transpose(-1, -2)).mul_(call.scale)
    scores[..., call.seqlen_k :] = -math.inf
    _tiled(call, scores).masked_fill_(~call.computed[:, heads, :, None, :, None], -math.inf)
    return scores


def _tiled(call: _Call, scores: torch.Tensor) -> torch.Tensor:
    """[B, h, Tm*BM, Tn*BN] -> a [B, h, Tm, BM, Tn, BN] view."""
    grid = call.grid
    by_key_tile = scores.unflatten(-1, (grid.num_key_tiles, call.block_n))
    return by_key_tile.unflatten(2, (grid.num_query_tiles, call.block_m))


def _decide(
    call: _Call, scores: torch.Tensor, heads: slice, threshold: float
) -> tuple[torch.Tensor, torch.Tensor]:
    """Section 4 step 3 for `heads`: (marked bool, margin) [B, h, Tm, Tn]."""
    computed = call.computed[:, heads]
    # mx_j[r], [B, h, Tm, BM, Tn]; skipped tiles are all -inf, so they never raise M.
    row_max = _tiled(call, scores).amax(dim=-1)
    # Tiles are visited in descending j, so M for tile j is the max over tiles > j.
    seen_from_j = row_max.flip(-1).cummax(dim=-1).values.flip(-1)
    running_max = F.pad(seen_from_j[..., 1:], (0, 1), value=-math.inf)
    # The first visited tile meets M = -inf, so its gap is +inf and it is never marked,
    # as section 4 requires. Skipped tiles can meet -inf - -inf = nan; they are replaced.
    gap = (row_max - running_max) * LOG2_E
    gap.flatten(2, 3)[:, :, call.seqlen_q :] = -math.inf  # padded rows do not vote
    worst = gap.amax(dim=3)
    margin = torch.where(computed, worst - threshold, math.inf)
    marked = computed & (worst <= threshold)
    return marked, margin


def reference_decisions(
    q: torch.Tensor,
    k: torch.Tensor,
    v: torch.Tensor,
    skip_in: torch.Tensor | None = None,
    threshold: float = -10.0,
    softmax_scale: float | None = None,
    *,
    block_shape: tuple[int, int] | None = None,
    compute_dtype: torch.dtype = torch.float32,
) -> tuple[torch.Tensor, torch.Tensor]:
    """The marks of section 4 step 3 and how far each tile is from the threshold.

    Returns (marked bool [B, Hq, Tm, Tn], margin [B, Hq, Tm, Tn] in compute_dtype), where
    margin is max over valid rows of (mx_j - M) * log2(e) - threshold for computed tiles
    that are not the first visited, and +inf for the others (they are never marked).
    A tile is marked iff its margin <= 0; kernel tests skip tiles with |margin| ~ 0,
    which floating-point order may decide either way. v is only checked, so that the
    arguments mirror reference_forward's.
    """
    call = _prepare(q, k, v, skip_in, softmax_scale, block_shape, compute_dtype)
    chunks = [
        _decide(call, _masked_scores(call, q, k, heads), heads, threshold)
        for heads in call.head_chunks()
    ]
    marked, margin = zip(*chunks)
    return torch.cat(marked, dim=1), torch.cat(margin, dim=1)


def reference_forward(
    q: torch.Tensor,
    k: torch.Tensor,
    v: torch.Tensor,
    skip_in: torch.Tensor | None = None,
    skip_out: torch.Tensor | None = None,
    threshold: float = -10.0,
    softmax_scale: float | None = None,
    must_compute: torch.Tensor | None = None,
    *,
    block_shape: tuple[int, int] | None = None,
    compute_dtype: torch.dtype = torch.float32,
) -> tuple[torch.Tensor, torch.Tensor]:
    """One attention call of section 4: (out [B, Sq, Hq, D] q.dtype, lse [B, Hq, Sq] float32).

    q [B, Sq, Hq, D] and k, v [B, Sk, Hkv, D] may have any strides. When skip_out is given
    it is overwritten with the next step's mask. block_shape defaults to the kernel's tile
    shape and is required for float32/float64 inputs.
    """
    call = _prepare(q, k, v, skip_in, softmax_scale, block_shape, compute_dtype)
    grid = call.grid
    mask_shape = (call.batch, call.heads_q, grid.num_query_tiles, grid.num_words)
    if skip_out is not None:
        skipmask.check_mask("skip_out", skip_out, mask_shape, q.device)
    if must_compute is not None:
        skipmask.check_mask("must_compute", must_compute, (grid.num_words,), q.device)

    out = torch.empty(q.shape, dtype=q.dtype, device=q.device)
    lse = torch.empty(call.batch, call.heads_q, call.seqlen_q, dtype=torch.float32, device=q.device)
    marked = torch.zeros_like(call.computed)
    for heads in call.head_chunks():
        scores = _masked_scores(call, q, k, heads)
        if skip_out is not None:
            marked[:, heads] = _decide(call, scores, heads, threshold)[0]
        chunk_lse = torch.logsumexp(scores, dim=-1)
        # Rows with no computed column have lse = -inf; shifting them by 0 instead keeps
        # exp() at exactly 0 (out = 0) rather than -inf - -inf = nan.
        shift = chunk_lse.masked_fill(chunk_lse == -math.inf, 0.0)
        probs = scores.sub_(shift.unsqueeze(-1)).exp_()
        v_heads = _heads_of(call, v, heads, grid.num_key_tiles * call.block_n)
        chunk_out = torch.matmul(probs, v_heads)[:, :, : call.seqlen_q]
        out[:, :, heads] = chunk_out.transpose(1, 2).to(q.dtype)
        lse[:, heads] = chunk_lse[:, :, : call.seqlen_q].to(torch.float32)

    if skip_out is not None:
        next_skip = ~call.computed | marked
        if must_compute is not None:
            next_skip &= ~skipmask.words_to_tiles(must_compute, grid.num_key_tiles)
        skip_out.copy_(skipmask.tiles_to_words(next_skip))
    return out, lse
