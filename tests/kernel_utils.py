"""Helpers shared by the GPU kernel tests: fresh random inputs in either memory layout,
a direct call of the binding with poisoned output buffers, the float64 reference, and the
comparisons of a call's out, lse and skip_out with it."""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

import liteattn
from liteattn import reference, skipmask, tiles
from liteattn.validation import kernel_strides

# What skip_out holds before a call, so a word the kernel failed to write shows: 0xA5A5A5A5
# as an int32. Bit 31 is set, so an unwritten last word has bits set past Tn whatever
# Tn % 32 is (1..31); any other unwritten word still equals it where the reference's
# word does not (assert_mask_written checks both).
MASK_POISON = 0xA5A5A5A5 - (1 << 32)

# DESIGN.md section 4: tiles whose margin is within this of zero may be decided either way.
DECISION_SLACK = 1e-3


def random_qkv(batch, seqlen_q, seqlen_k, heads_q, heads_kv, head_dim, dtype, *,
               layout="bshd", device="cuda", scale=1.0):
    """Fresh N(0, scale^2) q, k, v as [B, S, H, D] tensors; layout="bhsd" returns
    transposed views of [B, H, S, D] storage (the no-copy path of DESIGN.md section 2)."""
    def make(seqlen, heads):
        if layout == "bhsd":
            t = torch.randn(batch, heads, seqlen, head_dim, device=device, dtype=torch.float32)
            return (t * scale).to(dtype).transpose(1, 2)
        t = torch.randn(batch, seqlen, heads, head_dim, device=device, dtype=torch.float32)
        return (t * scale).to(dtype)
    return make(seqlen_q, heads_q), make(seqlen_k, heads_kv), make(seqlen_k, heads_kv)


def ramped_qkv(batch, seqlen_q, seqlen_k, heads_q, heads_kv, head_dim, dtype, *,
               block_n, step, device="cuda"):
    """random_qkv plus, per kv head, one direction u that every query shares and that
    each key carries in proportion to its index: every row's scores climb by about `step`
    (natural-log units) per key tile of `block_n` keys. Visited in descending order,
    each computed tile then falls behind the running max of the ones before it, whatever
    the skip mask, so decisions have real marks on any mask. The query's u-component (8)
    dwarfs its N(0, 1) noise, so no row of a tile has a flat ramp (which would keep the
    tile)."""
    q, k, v = random_qkv(batch, seqlen_q, seqlen_k, heads_q, heads_kv, head_dim,
                         torch.float32, device=device)
    u = torch.randn(heads_kv, head_dim, device=device)
    u = u / u.norm(dim=-1, keepdim=True)
    q_along_u = 8.0
    # score gain per key = q_along_u * k_along_u(c) / sqrt(D) = step * c / block_n.
    k_slope = step * math.sqrt(head_dim) / q_along_u
    position = torch.arange(seqlen_k, device=device, dtype=torch.float32) / block_n
    q = q + q_along_u * u.repeat_interleave(heads_q // heads_kv, dim=0)
    k = k + k_slope * position.view(1, -1, 1, 1) * u
    return q.to(dtype), k.to(dtype), v.to(dtype)


def kernel_forward(q, k, v, *, skip_in=None, decide=False, threshold=-10.0,
                   must_compute=None, softmax_scale=None, workspace_out=None):
    """Calls liteattn._C.forward directly with NaN-poisoned out/lse and a poisoned
    skip_out, so a test sees any element the kernel did not write. `workspace_out`, a
    list, receives the call's workspace (the scheduler's scratch) when given."""
    from liteattn import _C

    batch, seqlen_q, heads_q, head_dim = q.shape
    seqlen_k, heads_kv = k.shape[1], k.shape[2]
    grid = tiles.tile_grid(seqlen_q, seqlen_k, head_dim, q.dtype)
    scale = softmax_scale if softmax_scale is not None else 1.0 / math.sqrt(head_dim)
    out = torch.full(q.shape, float("nan"), dtype=q.dtype, device=q.device)
    lse = torch.full((batch, heads_q, seqlen_q), float("nan"), dtype=torch.float32, device=q.device)
    skip_out = None
    if decide:
        skip_out = torch.full((batch, heads_q, grid.num_query_tiles, grid.num_words), MASK_POISON,
                              dtype=torch.int32, device=q.device)
    workspace_ints = _C.workspace_ints(batch, seqlen_q, heads_q, head_dim,
                                       tiles._dtype_name(q.dtype), skip_in is not None)
    # Poisoned too: a test that reads the scheduler's order back must not find a stale one.
    workspace = torch.full((workspace_ints,), -1, dtype=torch.int32, device=q.device)
    addr = lambda t: 0 if t is None else t.data_ptr()  # noqa: E731
    _C.forward(q=q.data_ptr(), k=k.data_ptr(), v=v.data_ptr(), out=out.data_ptr(),
               lse=lse.data_ptr(), q_strides=kernel_strides(q), k_strides=kernel_strides(k),
               v_strides=kernel_strides(v), o_strides=kernel_strides(out), batch=batch,
               seqlen_q=seqlen_q, seqlen_k=seqlen_k, heads_q=heads_q, heads_kv=heads_kv,
               head_dim=head_dim, dtype=tiles._dtype_name(q.dtype), softmax_scale=scale,
               skip_in=addr(skip_in), skip_out=addr(skip_out), must_compute=addr(must_compute),
               threshold=threshold, workspace=workspace.data_ptr(), workspace_ints=workspace_ints,
               stream=torch.cuda.current_stream().cuda_stream)
    torch.cuda.synchronize()
    if workspace_out is not None:
        workspace_out.append(workspace)
    return out, lse, skip_out


def reference64(q, k, v, **kwargs):
    """The contract in float64 on the inputs' device."""
    return reference.reference_forward(q, k, v, compute_dtype=torch.float64, **kwargs)


def rel_l2(actual, expected):
    actual = actual.double()
    expected = expected.double()
    return ((actual - expected).norm() / expected.norm().clamp_min(1e-30)).item()


def assert_close_attention(out, lse, ref_out, ref_lse, *, out_tol=1e-2, lse_tol=1e-3):
    """out within out_tol relative L2 of the reference; lse -inf on exactly the reference's
    -inf rows (those that computed nothing), never NaN or +inf, and within lse_tol elsewhere."""
    assert out.shape == ref_out.shape and lse.shape == ref_lse.shape, \
        f"shapes out {tuple(out.shape)}, lse {tuple(lse.shape)} != the reference's"
    assert not torch.isnan(out).any(), "out has NaN (an element not written?)"
    assert not torch.isnan(lse).any(), "lse has NaN (an element not written?)"
    assert not (lse == math.inf).any(), f"lse is +inf in {int((lse == math.inf).sum())} rows"
    err = rel_l2(out, ref_out)
    assert err < out_tol, f"relative L2 error of out {err:.3e} >= {out_tol}"
    empty_rows = ref_lse == -math.inf
    wrong = (lse == -math.inf) != empty_rows
    assert not wrong.any(), f"lse is -inf in other rows than the reference's ({int(wrong.sum())})"
    if not empty_rows.all():
        diff = (lse[~empty_rows].double() - ref_lse[~empty_rows].double()).abs().max().item()
        assert diff < lse_tol, f"max |lse - ref| {diff:.3e} >= {lse_tol}"


def first_index(flags):
    """The index of the first True of a bool tensor, for a failure message."""
    return tuple(flags.nonzero()[0].tolist())


def assert_mask_written(skip_out, ref_skip, num_key_tiles, poison=MASK_POISON):
    """Every word of skip_out, filled with `poison` before the call, was written: no bit is
    set past the last key tile (DESIGN.md section 3), and no word still equals the poison
    where the reference's does not."""
    repacked = skipmask.tiles_to_words(skipmask.words_to_tiles(skip_out, num_key_tiles))
    stray = repacked != skip_out
    assert not stray.any(), (f"skip_out has bits set past the last key tile in {int(stray.sum())} "
                             f"words (unwritten?), first at [b, h, m, word] = {first_index(stray)}")
    unwritten = (skip_out == poison) & (ref_skip != poison)
    assert not unwritten.any(), (f"{int(unwritten.sum())} skip_out words still hold the poison, "
                                 f"first at [b, h, m, word] = {first_index(unwritten)}")


@dataclass(frozen=True)
class Decisions:
    """A call's skip_out and the float64 reference's, as bool tiles [B, Hq, Tm, Tn], with
    reference_decisions' margin (+inf on tiles no decision is made for)."""

    got: torch.Tensor
    want: torch.Tensor
    margin: torch.Tensor

    @property
    def decided(self):
        """Tiles a decision is made for: computed and not the first visited of their row.
        The others always agree, so counting them would flatter the agreement rate."""
        return torch.isfinite(self.margin)

    def agreement(self):
        """Fraction of decided tiles marked as the reference marks them, near-threshold
        ones included (1.0 when none is decided)."""
        decided = self.decided
        if not decided.any():
            return 1.0
        return (self.got == self.want)[decided].double().mean().item()

    def summary(self):
        decided = self.decided
        count = int(decided.sum())
        near = int((self.margin.abs() <= DECISION_SLACK).sum())
        marked = int((self.want & decided).sum()) / max(count, 1)
        return (f"agreement {self.agreement():.6f} over {count} decided tiles ({near} within "
                f"{DECISION_SLACK} of the threshold), reference marked {marked:.3f} of them")


def check_decisions(q, k, v, skip_in, threshold, skip_out, ref_skip, *, softmax_scale=None,
                    poison=MASK_POISON):
    """Asserts that skip_out, filled with `poison` before the call, is ref_skip (reference64's
    for the same call) as DESIGN.md section 4 allows: every word written, and every tile
    farther than DECISION_SLACK from the threshold decided alike. Returns both as Decisions."""
    num_key_tiles = tiles.tile_grid(q.shape[1], k.shape[1], q.shape[3], q.dtype).num_key_tiles
    assert_mask_written(skip_out, ref_skip, num_key_tiles, poison)
    _, margin = reference.reference_decisions(q, k, v, skip_in, threshold, softmax_scale,
                                              compute_dtype=torch.float64)
    decisions = Decisions(skipmask.words_to_tiles(skip_out, num_key_tiles),
                          skipmask.words_to_tiles(ref_skip, num_key_tiles), margin)
    disagree = (decisions.got != decisions.want) & (margin.abs() > DECISION_SLACK)
    assert not disagree.any(), (f"{int(disagree.sum())} decidable tiles disagree with the "
                                f"reference, first at [b, h, m, n] = {first_index(disagree)}")
    return decisions


__all__ = ["random_qkv", "ramped_qkv", "kernel_forward", "reference64", "rel_l2",
           "assert_close_attention", "assert_mask_written", "check_decisions", "Decisions",
           "MASK_POISON", "DECISION_SLACK", "liteattn"]
