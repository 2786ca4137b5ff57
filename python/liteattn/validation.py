"""Host-side checks of one ``liteattn::forward`` call, run before anything is launched.

Every check reads metadata only (sizes, strides, dtypes, devices, storage offsets and
addresses), never tensor data: validation must not synchronise the host, so it runs
unchanged under CUDA graph capture and on the fake tensors of ``torch.compile``.

The TMA rules (inner stride 1, other strides multiples of 8 elements, 16-byte aligned
base address) are enforced on every device, the CPU included, so that an input the
CPU reference accepts is one the GPU kernel accepts too.

Errors name the argument, the value given and what is expected: ``TypeError`` for a
wrong type or dtype, ``ValueError`` for everything else.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Optional

import torch

from . import skipmask, tiles

# TMA (cp.async.bulk.tensor) needs a 16-byte aligned global address and global strides
# that are multiples of 16 bytes; for 2-byte elements that is 8 elements.
TMA_ALIGN_BYTES = 16
TMA_STRIDE_ELEMENTS = 8

# The binding takes sizes as C++ int and softmax_scale as float (cpp/bindings.cpp).
MAX_SIZE = 2**31 - 1
FLOAT32 = torch.finfo(torch.float32)
MAX_SOFTMAX_SCALE = FLOAT32.max / 2

_DIM_NAMES = {
    "q": ("batch", "seqlen_q", "heads_q", "head_dim"),
    "k": ("batch", "seqlen_k", "heads_kv", "head_dim"),
    "v": ("batch", "seqlen_k", "heads_kv", "head_dim"),
}


@dataclass(frozen=True)
class CallShape:
    """What one validated call computes, in the terms of DESIGN.md section 2."""

    batch: int
    seqlen_q: int
    seqlen_k: int
    heads_q: int
    heads_kv: int
    head_dim: int
    block_m: int
    block_n: int
    tm: int
    tn: int
    words: int
    softmax_scale: float

    @property
    def mask_shape(self) -> tuple:
        """Shape of skip_in / skip_out: ``[B, Hq, Tm, W]``."""
        return (self.batch, self.heads_q, self.tm, self.words)


def validate_forward(
    q,
    k,
    v,
    skip_in=None,
    skip_out=None,
    threshold: float = -10.0,
    softmax_scale: Optional[float] = None,
    must_compute=None,
) -> CallShape:
    """Checks every argument of ``liteattn::forward``; returns the call's shape."""
    for name, t in (("q", q), ("k", k), ("v", v)):
        _check_tensor(name, t)
        if t.dim() != 4:
            raise ValueError(
                f"{name}: expected a 4-D tensor [batch, seqlen, heads, head_dim], "
                f"got shape {tuple(t.shape)}"
            )
        if t.dtype not in tiles.SUPPORTED_DTYPES:
            raise TypeError(
                f"{name}: expected dtype {_or_list(tiles.SUPPORTED_DTYPES)}, got {t.dtype}"
            )
        _check_sizes(name, t)
    for name, t in (("k", k), ("v", v)):
        if t.dtype != q.dtype:
            raise TypeError(f"{name}: expected dtype {q.dtype} (same as q), got {t.dtype}")
        if t.device != q.device:
            raise ValueError(f"{name}: expected device {q.device} (same as q), got {t.device}")

    batch, seqlen_q, heads_q, head_dim = q.shape
    _, seqlen_k, heads_kv, _ = k.shape
    if batch < 1:
        raise ValueError(f"q: expected batch size >= 1, got shape {tuple(q.shape)}")
    if seqlen_q < 1:
        raise ValueError(f"q: expected seqlen_q >= 1, got shape {tuple(q.shape)}")
    if heads_q < 1:
        raise ValueError(f"q: expected heads_q >= 1, got shape {tuple(q.shape)}")
    if head_dim not in tiles.SUPPORTED_HEAD_DIMS:
        raise ValueError(
            f"q: expected head_dim in {tuple(tiles.SUPPORTED_HEAD_DIMS)}, got {head_dim} "
            f"(shape {tuple(q.shape)})"
        )
    # The head dim selects a compiled kernel, so it is static even under dynamic shapes.
    head_dim = int(head_dim)
    if k.shape[0] != batch:
        raise ValueError(f"k: expected batch size {batch} (from q), got shape {tuple(k.shape)}")
    if k.shape[3] != head_dim:
        raise ValueError(f"k: expected head_dim {head_dim} (from q), got shape {tuple(k.shape)}")
    if seqlen_k < 1:
        raise ValueError(f"k: expected seqlen_k >= 1, got shape {tuple(k.shape)}")
    if heads_kv < 1 or heads_q % heads_kv != 0:
        raise ValueError(
            f"k: expected heads_kv dividing heads_q={heads_q}, got heads_kv={heads_kv} "
            f"(shape {tuple(k.shape)})"
        )
    if v.shape != k.shape:
        raise ValueError(f"v: expected shape {tuple(k.shape)} (same as k), got {tuple(v.shape)}")
    for name, t in (("q", q), ("k", k), ("v", v)):
        _check_tma_layout(name, t)

    block_m, block_n = tiles.tile_shape(head_dim, q.dtype)
    tm, tn, words = tiles.tile_grid(seqlen_q, seqlen_k, head_dim, q.dtype)
    mask_shape = (batch, heads_q, tm, words)
    if (skip_in is not None or skip_out is not None) and words > tiles.MAX_MASK_WORDS:
        raise ValueError(
            f"k: skip masks support seqlen_k <= {tiles.MAX_MASK_WORDS * 32 * block_n} "
            f"({tiles.MAX_MASK_WORDS} mask words per row), got seqlen_k={seqlen_k}"
        )
    masks = (("skip_in", skip_in, mask_shape), ("skip_out", skip_out, mask_shape),
             ("must_compute", must_compute, (words,)))
    for name, mask, expected_shape in masks:
        if mask is not None:
            skipmask.check_mask(name, mask, expected_shape, q.device)
    if skip_out is not None:
        for name, other in (("skip_in", skip_in), ("q", q), ("k", k), ("v", v),
                            ("must_compute", must_compute)):
            if other is not None and _overlaps(skip_out, other):
                hint = "; double-buffer the masks" if name == "skip_in" else ""
                raise ValueError(
                    f"skip_out: expected memory disjoint from {name} (the kernel reads "
                    f"{name} while writing skip_out{hint}), got overlapping tensors"
                )

    _check_threshold(threshold)
    scale = _resolve_scale(softmax_scale, head_dim)
    return CallShape(
        batch=batch, seqlen_q=seqlen_q, seqlen_k=seqlen_k, heads_q=heads_q,
        heads_kv=heads_kv, head_dim=head_dim, block_m=block_m, block_n=block_n,
        tm=tm, tn=tn, words=words, softmax_scale=scale,
    )


def kernel_strides(t: torch.Tensor) -> tuple:
    """``(batch, row, head)`` strides in elements, as the kernel's TMA descriptors take them.

    A dimension of size 1 is only ever indexed at 0, so its stride is meaningless and
    torch may give it any value; it is replaced by the tensor's extent, a valid multiple
    of 8, so that such a tensor is accepted exactly when its other strides are.
    """
    extent = max(size * stride for size, stride in zip(t.shape, t.stride()) if size > 1)
    return tuple(t.stride(d) if t.shape[d] > 1 else extent for d in range(3))


def _check_tensor(name, t):
    if not isinstance(t, torch.Tensor):
        raise TypeError(f"{name}: expected a torch.Tensor, got {type(t).__name__}")


def _check_sizes(name, t):
    # Reachable without the memory: an expanded (stride 0) tensor of 2**31 rows.
    for dim_name, size in zip(_DIM_NAMES[name], t.shape):
        if size > MAX_SIZE:
            raise ValueError(
                f"{name}: expected {dim_name} <= {MAX_SIZE} (the kernel takes 32-bit sizes), "
                f"got {dim_name}={size} (shape {tuple(t.shape)})"
            )


def _check_tma_layout(name, t):
    if t.stride(-1) != 1:
        raise ValueError(
            f"{name}: expected the last dimension contiguous (stride 1), "
            f"got strides {tuple(t.stride())}"
        )
    if any(size > 1 and stride % TMA_STRIDE_ELEMENTS != 0
           for size, stride in zip(t.shape[:-1], t.stride()[:-1])):
        raise ValueError(
            f"{name}: expected every stride but the last to be a multiple of {TMA_STRIDE_ELEMENTS} "
            f"elements (TMA needs 16-byte strides), got strides {tuple(t.stride())} "
            f"for shape {tuple(t.shape)}"
        )
    offset_bytes = t.storage_offset() * t.element_size()
    if offset_bytes % TMA_ALIGN_BYTES != 0:
        raise ValueError(
            f"{name}: expected a data pointer aligned to {TMA_ALIGN_BYTES} bytes (TMA), "
            f"got storage offset {t.storage_offset()} elements ({offset_bytes} bytes)"
        )
    # The storage's own base can be misaligned too (torch.frombuffer, foreign memory).
    # Fake and meta tensors have no address; their offset was checked above.
    if _has_address(t) and t.data_ptr() % TMA_ALIGN_BYTES != 0:
        raise ValueError(
            f"{name}: expected a data pointer aligned to {TMA_ALIGN_BYTES} bytes (TMA), "
            f"got address {t.data_ptr():#x}"
        )


def _check_threshold(threshold):
    if isinstance(threshold, bool) or not isinstance(threshold, (int, float, torch.SymFloat)):
        raise TypeError(f"threshold: expected a float, got {type(threshold).__name__}")
    # One comparison rejects nan, zero, positive values and +inf; -inf is allowed.
    if not threshold < 0:
        raise ValueError(
            f"threshold: expected a finite negative float or -inf (log2 of a probability "
            f"ratio), got {threshold}"
        )


def _resolve_scale(softmax_scale, head_dim):
    if softmax_scale is None:
        return 1.0 / math.sqrt(head_dim)
    if isinstance(softmax_scale, bool) or not isinstance(
        softmax_scale, (int, float, torch.SymFloat)
    ):
        raise TypeError(
            f"softmax_scale: expected None or a float, got {type(softmax_scale).__name__}"
        )
    # The kernel takes a float32 and multiplies it by log2(e) in float32: values above
    # half of float32's max would make that product inf (and every row NaN), smaller
    # ones than the normal range lose precision (subnormal) or become 0.
    if not FLOAT32.tiny <= softmax_scale <= MAX_SOFTMAX_SCALE:
        raise ValueError(
            f"softmax_scale: expected None or a positive finite float in "
            f"[{FLOAT32.tiny}, {MAX_SOFTMAX_SCALE}] (float32's normal range, at most half "
            f"its max: the kernel scales it by log2(e)), got {softmax_scale}"
        )
    return softmax_scale if isinstance(softmax_scale, torch.SymFloat) else float(softmax_scale)


def _overlaps(a: torch.Tensor, b: torch.Tensor) -> bool:
    """Whether two tensors share bytes, judged from byte ranges.

    Tensors with an address are compared by address: one memory can sit behind two
    storages (torch.from_numpy twice, a DLPack round trip), which share no StorageImpl.
    Fake and meta tensors have no address; they overlap only within one storage.
    Byte ranges make this conservative for interleaved strided views of one memory,
    which never happens to a contiguous mask.
    """
    if _has_address(a) and _has_address(b):
        a_start, a_end = _byte_range(a, a.data_ptr())
        b_start, b_end = _byte_range(b, b.data_ptr())
    elif torch._C._is_alias_of(a, b):
        a_start, a_end = _byte_range(a, a.storage_offset() * a.element_size())
        b_start, b_end = _byte_range(b, b.storage_offset() * b.element_size())
    else:
        return False
    return a_start < b_end and b_start < a_end


def _byte_range(t, start):
    """[start, end) of the bytes `t` reaches, from the byte at which its element 0 sits."""
    if t.numel() == 0:
        return start, start
    span = 1 + sum((size - 1) * stride for size, stride in zip(t.shape, t.stride()))
    return start, start + span * t.element_size()


def _has_address(t):
    # Fake, functional and other wrapper tensors have no address of their own.
    return type(t) in (torch.Tensor, torch.nn.Parameter) and t.device.type != "meta"


def _or_list(dtypes):
    names = [str(d) for d in dtypes]
    return " or ".join(names) if len(names) <= 2 else ", ".join(names[:-1]) + " or " + names[-1]
