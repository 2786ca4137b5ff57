"""The Hopper kernel, dense path, against the float64 reference (GPU only)."""

import contextlib

import pytest
import torch
import torch.nn.functional as F

import liteattn
from kernel_utils import assert_close_attention, kernel_forward, random_qkv, reference64, rel_l2

pytestmark = pytest.mark.gpu

DTYPES = [torch.bfloat16, torch.float16]
HEAD_DIMS = [64, 128]
LENGTHS = [(1, 1), (7, 7), (127, 127), (129, 129), (1000, 1000), (4097, 4097), (129, 1000),
           (1000, 7), (300, 4097)]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("head_dim", HEAD_DIMS)
@pytest.mark.parametrize("seqlen_q,seqlen_k", LENGTHS)
def test_dense_matches_reference(dtype, head_dim, seqlen_q, seqlen_k):
    q, k, v = random_qkv(1, seqlen_q, seqlen_k, 2, 2, head_dim, dtype)
    out, lse, _ = kernel_forward(q, k, v)
    ref_out, ref_lse = reference64(q, k, v)
    assert_close_attention(out, lse, ref_out, ref_lse)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("head_dim", HEAD_DIMS)
@pytest.mark.parametrize("heads_q,heads_kv", [(8, 2), (6, 1), (4, 4)])
@pytest.mark.parametrize("layout", ["bshd", "bhsd"])
def test_gqa_batch_and_strides(dtype, head_dim, heads_q, heads_kv, layout):
    q, k, v = random_qkv(3, 513, 777, heads_q, heads_kv, head_dim, dtype, layout=layout)
    out, lse, _ = kernel_forward(q, k, v)
    ref_out, ref_lse = reference64(q, k, v)
    assert_close_attention(out, lse, ref_out, ref_lse)


def test_large_scores_stay_finite():
    # Large logits exercise the running-max rescaling across many key tiles.
    q, k, v = random_qkv(1, 1000, 3000, 2, 2, 128, torch.bfloat16, scale=4.0)
    out, lse, _ = kernel_forward(q, k, v)
    ref_out, ref_lse = reference64(q, k, v)
    assert_close_attention(out, lse, ref_out, ref_lse)


def test_softmax_scale():
    q, k, v = random_qkv(1, 300, 300, 2, 2, 64, torch.float16)
    out, lse, _ = kernel_forward(q, k, v, softmax_scale=0.37)
    ref_out, ref_lse = reference64(q, k, v, softmax_scale=0.37)
    assert_close_attention(out, lse, ref_out, ref_lse)


def test_many_heads_times_batch():
    # batch * heads = 65535 * 16 work items through the persistent scheduler.
    q, k, v = random_qkv(65535, 1, 1, 16, 16, 64, torch.bfloat16)
    out, lse, _ = kernel_forward(q, k, v)
    assert not torch.isnan(out).any() and not torch.isnan(lse).any()
    # One key: the output is v itself and lse is the single scaled score.
    assert torch.equal(out, v)
    expected_lse = (q.double() * k.double()).sum(-1).transpose(1, 2) / 8.0
    torch.testing.assert_close(lse.double(), expected_lse, atol=1e-3, rtol=1e-3)


def test_long_keys():
    # 256k keys: TMA coordinates and 64 mask words per row.
    q, k, v = random_qkv(1, 200, 262144, 1, 1, 128, torch.bfloat16)
    out, lse, _ = kernel_forward(q, k, v)
    ref_out, ref_lse = reference64(q, k, v)
    assert_close_attention(out, lse, ref_out, ref_lse)


def test_bitwise_deterministic():
    q, k, v = random_qkv(2, 2000, 2000, 4, 2, 128, torch.bfloat16)
    first = kernel_forward(q, k, v)
    second = kernel_forward(q, k, v)
    assert torch.equal(first[0], second[0]) and torch.equal(first[1], second[1])


@pytest.mark.parametrize("batch,heads,seqlen,head_dim", [(1, 4, 32760, 128), (1, 4, 17776, 64)])
def test_agrees_with_cudnn_sdpa(batch, heads, seqlen, head_dim):
    from torch.nn.attention import SDPBackend, sdpa_kernel

    q, k, v = random_qkv(batch, seqlen, seqlen, heads, heads, head_dim, torch.bfloat16,
                         layout="bhsd")
    out, _ = liteattn.forward(q, k, v)
    with sdpa_kernel(SDPBackend.CUDNN_ATTENTION):
        expected = F.scaled_dot_product_attention(q.transpose(1, 2), k.transpose(1, 2),
                                                  v.transpose(1, 2)).transpose(1, 2)
    assert rel_l2(out, expected) < 1e-2


@contextlib.contextmanager
def nan_filled_allocations():
    """torch.empty and its kin return NaN-filled floats inside (torch's deterministic
    mode's fill_uninitialized_memory), so an element an op allocates and never writes
    shows, whatever block the caching allocator hands out. warn_only keeps ops without a
    deterministic implementation running."""
    was_enabled = torch.are_deterministic_algorithms_enabled()
    was_warn_only = torch.is_deterministic_algorithms_warn_only_enabled()
    was_filling = torch.utils.deterministic.fill_uninitialized_memory
    torch.use_deterministic_algorithms(True, warn_only=True)
    torch.utils.deterministic.fill_uninitialized_memory = True
    try:
        yield
    finally:
        torch.utils.deterministic.fill_uninitialized_memory = was_filling
        torch.use_deterministic_algorithms(was_enabled, warn_only=was_warn_only)


def test_op_poisoned_allocation_fully_written():
    q, k, v = random_qkv(2, 1000, 1000, 4, 4, 128, torch.bfloat16)
    with nan_filled_allocations():
        assert torch.isnan(torch.empty(8, device=q.device)).all(), "allocations are not poisoned"
        out, lse = liteattn.forward(q, k, v)
        torch.cuda.synchronize()
    ref_out, ref_lse = reference64(q, k, v)
    assert_close_attention(out, lse, ref_out, ref_lse)


def test_cuda_graph_capture_and_replay():
    q, k, v = random_qkv(1, 1500, 1500, 4, 2, 128, torch.bfloat16)
    liteattn.forward(q, k, v)  # warm-up outside capture
    torch.cuda.synchronize()
    graph = torch.cuda.CUDAGraph()
    with torch.cuda.graph(graph):
        out, lse = liteattn.forward(q, k, v)
    for _ in range(2):
        fresh = random_qkv(1, 1500, 1500, 4, 2, 128, torch.bfloat16)
        for static, new in zip((q, k, v), fresh):
            static.copy_(new)
        graph.replay()
        torch.cuda.synchronize()
        ref_out, ref_lse = reference64(q, k, v)
        assert_close_attention(out, lse, ref_out, ref_lse)


def test_torch_compile_fullgraph_on_gpu():
    class Block(torch.nn.Module):
        def forward(self, q, k, v):
            out, _ = torch.ops.liteattn.forward(q, k, v)
            return out * 2.0

    q, k, v = random_qkv(1, 700, 700, 2, 2, 64, torch.bfloat16)
    compiled = torch.compile(Block(), fullgraph=True)
    got = compiled(q, k, v)
    ref_out, _ = reference64(q, k, v)
    assert rel_l2(got, ref_out * 2.0) < 1e-2
