"""Helpers shared by the GPU kernel tests: fresh random inputs in either memory layout,
a direct call of the binding with poisoned output buffers, and the float64 reference."""

from __future__ import annotations

import math

import torch

import liteattn
from liteattn import reference, tiles
from liteattn.validation import kernel_strides

# A pattern no correct mask word takes in the padding bits, so a mask word the kernel
# failed to write is caught (its bits past Tn are set).
MASK_POISON = 0x5A5A5A5A


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
    assert not torch.isnan(out).any(), "out has NaN (an element not written?)"
    assert not torch.isnan(lse).any(), "lse has NaN (an element not written?)"
    err = rel_l2(out, ref_out)
    assert err < out_tol, f"relative L2 error of out {err:.3e} >= {out_tol}"
    finite = torch.isfinite(ref_lse)
    assert torch.equal(torch.isfinite(lse), finite), "lse -inf pattern differs"
    if finite.any():
        diff = (lse[finite].double() - ref_lse[finite].double()).abs().max().item()
        assert diff < lse_tol, f"max |lse - ref| {diff:.3e} >= {lse_tol}"


__all__ = ["random_qkv", "ramped_qkv", "kernel_forward", "reference64", "rel_l2",
           "assert_close_attention", "MASK_POISON", "liteattn"]
