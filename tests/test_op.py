"""torch.ops.liteattn.forward: registration, CPU dispatch, torch.compile, opcheck, GPU.

CPU results must equal reference_forward exactly (the CPU kernel is the reference).
Inputs are "peaked": one key tile per head is aligned with the queries, so the skip
decision marks some tiles and keeps others and a lost skip_out write cannot pass.
"""

import math
import warnings

import pytest
import torch

import liteattn
from kernel_utils import MASK_POISON, assert_close_attention, check_decisions
from liteattn import ops, skipmask, tiles
from liteattn.reference import reference_forward

DTYPES = (torch.bfloat16, torch.float16)


def peaked_inputs(batch=2, seqlen_q=200, seqlen_k=300, heads_q=4, heads_kv=2, head_dim=64,
                  dtype=torch.bfloat16, device="cpu", hot_tile=1):
    """Random q, k, v where the keys of tile `hot_tile` align with every query of a head.

    Visiting tiles in descending order, tiles below the hot one are then far below the
    running max (marked at moderate thresholds) and tiles above it are not.
    """
    block_n = liteattn.tile_shape(head_dim, dtype)[1]
    direction = torch.randn(1, 1, heads_kv, head_dim, device=device)
    group = heads_q // heads_kv
    q = direction.repeat_interleave(group, dim=2) + 0.5 * torch.randn(
        batch, seqlen_q, heads_q, head_dim, device=device
    )
    k = torch.randn(batch, seqlen_k, heads_kv, head_dim, device=device)
    hot = slice(hot_tile * block_n, min((hot_tile + 1) * block_n, seqlen_k))
    k[:, hot] += direction
    v = torch.randn(batch, seqlen_k, heads_kv, head_dim, device=device)
    return q.to(dtype), k.to(dtype), v.to(dtype)


def random_mask(q, k, density=0.3):
    """A random skip_in of the kernel's layout, bits only at valid key tiles."""
    batch, seqlen_q, heads_q, head_dim = q.shape
    grid = liteattn.tile_grid(seqlen_q, k.shape[1], head_dim, q.dtype)
    tiles = torch.rand(batch, heads_q, grid.num_query_tiles, grid.num_key_tiles, device=q.device)
    return skipmask.tiles_to_words(tiles < density)


def junk_like(mask):
    """A skip_out buffer full of bits no call could produce (every bit set)."""
    return torch.full_like(mask, -1)


def mask_shape(q, k):
    grid = liteattn.tile_grid(q.shape[1], k.shape[1], q.shape[3], q.dtype)
    return (q.shape[0], q.shape[2], grid.num_query_tiles, grid.num_words)


def must_compute_for(q, k, tile):
    grid = liteattn.tile_grid(q.shape[1], k.shape[1], q.shape[3], q.dtype)
    bits = torch.zeros(grid.num_key_tiles, dtype=torch.bool)
    bits[tile] = True
    return skipmask.tiles_to_words(bits)


# ---- registration ---------------------------------------------------------------------

def test_schema_is_the_contract():
    schema = torch.ops.liteattn.forward.default._schema
    assert str(schema) == (
        "liteattn::forward(Tensor q, Tensor k, Tensor v, Tensor? skip_in=None, "
        "Tensor(a!)? skip_out=None, float threshold=-10., float? softmax_scale=None, "
        "Tensor? must_compute=None) -> (Tensor, Tensor)"
    )
    written = [a.name for a in schema.arguments if a.alias_info is not None and a.alias_info.is_write]
    assert written == ["skip_out"]


def test_package_surface():
    assert liteattn.__version__ == "0.1.0"
    assert liteattn.forward is ops.forward
    assert liteattn.reference.reference_forward is reference_forward
    assert liteattn.skipmask is skipmask
    assert liteattn.LiteAttention.__module__ == "liteattn.attention"
    assert isinstance(liteattn.has_cuda_kernels(), bool)


# ---- CPU: the op is the reference -------------------------------------------------------

@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("head_dim", (64, 128))
@pytest.mark.parametrize("heads", ((4, 4), (4, 2), (3, 1)))
def test_cpu_op_equals_reference(dtype, head_dim, heads):
    q, k, v = peaked_inputs(heads_q=heads[0], heads_kv=heads[1], head_dim=head_dim, dtype=dtype)
    skip_in = random_mask(q, k)
    must_compute = must_compute_for(q, k, 0)
    skip_out = junk_like(skip_in)
    expected_skip = junk_like(skip_in)

    out, lse = torch.ops.liteattn.forward(q, k, v, skip_in, skip_out, -4.0, 0.1, must_compute)
    ref_out, ref_lse = reference_forward(q, k, v, skip_in, expected_skip, -4.0, 0.1, must_compute)

    assert out.dtype == dtype and out.shape == q.shape and out.is_contiguous()
    assert lse.dtype == torch.float32 and lse.shape == (q.shape[0], q.shape[2], q.shape[1])
    assert torch.equal(out, ref_out)
    assert torch.equal(lse, ref_lse)
    assert torch.equal(skip_out, expected_skip)
    assert not torch.isnan(out).any()


def test_cpu_op_without_masks_is_dense_attention():
    q, k, v = peaked_inputs(heads_q=2, heads_kv=2)
    out, lse = liteattn.forward(q, k, v)
    qf, kf, vf = (t.double().transpose(1, 2) for t in (q, k, v))
    scores = qf @ kf.transpose(-1, -2) / math.sqrt(q.shape[-1])
    expected = torch.softmax(scores, dim=-1) @ vf
    torch.testing.assert_close(out.double(), expected.transpose(1, 2), atol=2e-2, rtol=2e-2)
    torch.testing.assert_close(lse.double(), torch.logsumexp(scores, dim=-1), atol=1e-3, rtol=1e-4)


def test_skip_out_mutation_is_visible():
    q, k, v = peaked_inputs()
    skip_in = random_mask(q, k, density=0.2)
    # Tile 2 is visited first, so it is never marked: only skip_in bits are cleared there.
    must_compute = must_compute_for(q, k, 2)
    skip_out = junk_like(skip_in)
    buffer_before = skip_out.data_ptr()

    liteattn.forward(q, k, v, skip_in, skip_out, threshold=-4.0, must_compute=must_compute)

    assert skip_out.data_ptr() == buffer_before
    num_key_tiles = liteattn.tile_grid(q.shape[1], k.shape[1], q.shape[3], q.dtype).num_key_tiles
    before = skipmask.words_to_tiles(skip_in, num_key_tiles)
    after = skipmask.words_to_tiles(skip_out, num_key_tiles)
    protected = skipmask.words_to_tiles(must_compute, num_key_tiles)
    # Section 4 step 4: the mask only grows, except where must_compute clears it.
    assert torch.equal(after & protected, torch.zeros_like(after))
    assert torch.equal(before & ~protected & ~after, torch.zeros_like(after))
    newly_marked = after & ~before
    assert newly_marked.any(), "peaked inputs should mark at least one tile"
    assert not after.all(), "the hot tile and the first visited tile are never marked"
    # Bits past Tn are 0 although the buffer started with every bit set.
    words = skipmask.tiles_to_words(after)
    assert torch.equal(skip_out, words)


def test_threshold_minus_inf_marks_nothing():
    q, k, v = peaked_inputs()
    skip_in = random_mask(q, k)
    skip_out = junk_like(skip_in)
    liteattn.forward(q, k, v, skip_in, skip_out, threshold=-math.inf)
    assert torch.equal(skip_out, skip_in)


def test_transposed_bhsd_view_gives_the_same_result():
    q, k, v = peaked_inputs()
    as_bhsd = [t.transpose(1, 2).contiguous().transpose(1, 2) for t in (q, k, v)]
    assert not as_bhsd[0].is_contiguous()
    skip_in = random_mask(q, k)
    skip_a, skip_b = junk_like(skip_in), junk_like(skip_in)
    out_a, lse_a = liteattn.forward(q, k, v, skip_in, skip_a, -4.0)
    out_b, lse_b = liteattn.forward(*as_bhsd, skip_in, skip_b, -4.0)
    assert out_b.is_contiguous()
    assert torch.equal(out_a, out_b)
    assert torch.equal(lse_a, lse_b)
    assert torch.equal(skip_a, skip_b)


def test_meta_tensors_give_shapes_only():
    q = torch.empty(2, 300, 6, 128, dtype=torch.float16, device="meta")
    k = torch.empty(2, 5000, 3, 128, dtype=torch.float16, device="meta")
    skip = torch.empty(mask_shape(q, k), dtype=torch.int32, device="meta")
    out, lse = liteattn.forward(q, k, k, skip, torch.empty_like(skip), -5.0)
    assert out.device.type == "meta" and out.shape == q.shape and out.dtype == q.dtype
    assert out.is_contiguous()
    assert lse.shape == (2, 6, 300) and lse.dtype == torch.float32 and lse.is_contiguous()


@pytest.mark.parametrize(
    "bad",
    ("threshold_nan", "threshold_positive", "mask_shape", "scale", "must_compute_dtype", "alias"),
)
def test_failed_call_leaves_skip_out_untouched(bad):
    q, k, v = peaked_inputs()
    skip_in = random_mask(q, k)
    skip_out = junk_like(skip_in) ^ random_mask(q, k)  # some recognisable bytes
    kwargs = dict(skip_in=skip_in, skip_out=skip_out, threshold=-4.0)
    if bad == "threshold_nan":
        kwargs["threshold"] = math.nan
    elif bad == "threshold_positive":
        kwargs["threshold"] = 2.0
    elif bad == "mask_shape":
        kwargs["skip_in"] = skip_in[:, :, :1].contiguous()
    elif bad == "scale":
        kwargs["softmax_scale"] = -1.0
    elif bad == "must_compute_dtype":
        kwargs["must_compute"] = torch.zeros(skip_in.shape[-1], dtype=torch.int64)
    elif bad == "alias":
        kwargs["skip_in"] = skip_out
    before = skip_out.clone()
    with pytest.raises((ValueError, TypeError)):
        liteattn.forward(q, k, v, **kwargs)
    assert torch.equal(skip_out, before)


# ---- torch.library.opcheck ----------------------------------------------------------------

@pytest.mark.parametrize("masks", ("none", "skip_out", "all"))
def test_opcheck(masks):
    q, k, v = peaked_inputs(batch=1, seqlen_q=140, seqlen_k=300, heads_q=2, heads_kv=1)
    args = (q, k, v)
    if masks == "skip_out":
        args += (None, junk_like(random_mask(q, k)), -4.0)
    elif masks == "all":
        skip_in = random_mask(q, k)
        args += (skip_in, junk_like(skip_in), -4.0, 0.1, must_compute_for(q, k, 2))
    torch.library.opcheck(torch.ops.liteattn.forward.default, args)


# ---- torch.compile on CPU --------------------------------------------------------------------

def _attention_step(q, k, v, skip_in, skip_out, must_compute, threshold):
    out, lse = liteattn.forward(q * 1.0, k, v, skip_in, skip_out, threshold,
                                must_compute=must_compute)
    return out.float() * 2.0, lse + 1.0


@pytest.mark.parametrize("backend", ("eager", "aot_eager", "inductor"))
def test_compile_fullgraph_cpu(backend):
    torch._dynamo.reset()
    compiled = torch.compile(_attention_step, backend=backend, fullgraph=True)
    for seqlen_q, threshold in ((200, -4.0), (200, -3.0), (333, -4.0)):
        q, k, v = peaked_inputs(seqlen_q=seqlen_q)
        skip_in = random_mask(q, k)
        must_compute = must_compute_for(q, k, 0)
        skip_out, expected_skip = junk_like(skip_in), junk_like(skip_in)

        got = compiled(q, k, v, skip_in, skip_out, must_compute, threshold)
        expected = _attention_step(q, k, v, skip_in, expected_skip, must_compute, threshold)

        assert torch.equal(got[0], expected[0])
        assert torch.equal(got[1], expected[1])
        assert torch.equal(skip_out, expected_skip)
        assert not torch.equal(skip_out, junk_like(skip_in))


def test_compile_rejects_invalid_input_at_trace_time():
    torch._dynamo.reset()
    q, k, v = peaked_inputs(head_dim=64)
    bad_k = k[..., :32].contiguous()
    compiled = torch.compile(lambda q, k, v: liteattn.forward(q, k, v), backend="aot_eager",
                             fullgraph=True)
    with pytest.raises(Exception, match="k: expected head_dim 64"):
        compiled(q, bad_k, bad_k)


# ---- the CUDA path without a usable extension -----------------------------------------------

def test_missing_extension_raises_not_implemented(monkeypatch):
    monkeypatch.setattr(ops, "_BINDING", None)
    monkeypatch.setattr(ops, "_BINDING_ERROR", ImportError("no module named liteattn._C"))
    assert not liteattn.has_cuda_kernels()
    with pytest.raises(NotImplementedError, match="liteattn._C.*no module named liteattn._C"):
        ops._kernels()


def test_extension_without_kernels_raises_not_implemented(monkeypatch):
    class NoKernels:
        @staticmethod
        def compiled_archs():
            return []

    monkeypatch.setattr(ops, "_BINDING", NoKernels())
    assert not liteattn.has_cuda_kernels()
    with pytest.raises(NotImplementedError, match="built without CUDA kernels"):
        ops._kernels()


def test_non_hopper_device_raises_runtime_error(monkeypatch):
    calls = []

    def capability(index):
        calls.append(index)
        return (8, 0)

    monkeypatch.setattr(ops, "_CAPABILITY", {})
    monkeypatch.setattr(torch.cuda, "get_device_capability", capability)
    monkeypatch.setattr(torch.cuda, "get_device_name", lambda index: "NVIDIA A100")
    for _ in range(2):
        with pytest.raises(RuntimeError, match=r"cuda:1 \(NVIDIA A100\) has capability 8\.0"):
            ops._require_hopper(torch.device("cuda", 1))
    assert calls == [1], "capability is queried once per device index"


@pytest.mark.skipif(not torch.cuda.is_available() or liteattn.has_cuda_kernels(),
                    reason="needs a CUDA device and an install without liteattn kernels")
def test_cuda_call_without_kernels_raises_not_implemented():
    q, k, v = peaked_inputs(device="cuda")
    with pytest.raises(NotImplementedError, match="liteattn"):
        liteattn.forward(q, k, v)


class _RecordingBinding:
    """Stands in for liteattn._C: records the keyword arguments of each forward call."""

    def __init__(self):
        self.calls = []

    @staticmethod
    def compiled_archs():
        return ["sm_90a"]

    @staticmethod
    def workspace_ints(batch, seqlen_q, heads_q, head_dim, dtype, has_skip_in):
        # The real layout (run_fwd.cpp): the scheduler's counter, then with skip_in the
        # tile order's ticket, its slot a head and the order (one slot a tile).
        block_m = tiles.tile_shape(head_dim, dtype)[0]
        heads = batch * heads_q
        return 1 + (1 + heads + heads * -(-seqlen_q // block_m) if has_skip_in else 0)

    def forward(self, **kwargs):
        self.calls.append(kwargs)


@pytest.fixture
def recording_binding(monkeypatch):
    """The CUDA path of the op up to the binding, on any CUDA device, without kernels."""
    if not torch.cuda.is_available():
        pytest.skip("needs a CUDA device")
    binding = _RecordingBinding()
    monkeypatch.setattr(ops, "_BINDING", binding)
    monkeypatch.setattr(ops, "_require_hopper", lambda device: None)
    return binding


def test_cuda_call_passes_the_binding_contract(recording_binding):
    """What the op hands _C.forward: addresses, (batch, row, head) strides, sizes, stream."""
    q, k, v = peaked_inputs(batch=2, seqlen_q=200, seqlen_k=300, heads_q=4, heads_kv=2,
                            head_dim=128, dtype=torch.float16, device="cuda")
    k = k.transpose(1, 2).contiguous().transpose(1, 2)
    skip_in = random_mask(q, k)
    skip_out = junk_like(skip_in)
    stream = torch.cuda.Stream()
    with torch.cuda.stream(stream):
        out, lse = liteattn.forward(q, k, v, skip_in, skip_out, -6.0, None, None)

    (recorded,) = recording_binding.calls
    assert recorded.pop("q") == q.data_ptr()
    assert recorded.pop("k") == k.data_ptr()
    assert recorded.pop("v") == v.data_ptr()
    assert recorded.pop("out") == out.data_ptr()
    assert recorded.pop("lse") == lse.data_ptr()
    assert recorded.pop("q_strides") == (q.stride(0), q.stride(1), q.stride(2))
    assert recorded.pop("k_strides") == (k.stride(0), k.stride(1), k.stride(2))
    assert recorded.pop("v_strides") == (v.stride(0), v.stride(1), v.stride(2))
    assert recorded.pop("o_strides") == (out.stride(0), out.stride(1), out.stride(2))
    assert recorded.pop("skip_in") == skip_in.data_ptr()
    assert recorded.pop("skip_out") == skip_out.data_ptr()
    assert recorded.pop("must_compute") == 0
    assert recorded.pop("stream") == stream.cuda_stream
    assert recorded.pop("workspace") != 0
    assert recorded.pop("workspace_ints") == 1 + 1 + 8 + 8 * 2  # as the stub sizes it
    assert recorded.pop("softmax_scale") == pytest.approx(1 / math.sqrt(128))
    assert recorded == dict(batch=2, seqlen_q=200, seqlen_k=300, heads_q=4, heads_kv=2,
                            head_dim=128, dtype="fp16", threshold=-6.0)
    assert out.shape == q.shape and out.dtype == q.dtype and out.device == q.device
    assert lse.shape == (2, 4, 200) and lse.dtype == torch.float32


@pytest.mark.filterwarnings("ignore:The CUDA Graph is empty")
def test_cuda_path_is_capturable_and_traceable(recording_binding):
    """No host sync or allocation outside torch on the CUDA path: it records into a CUDA
    graph on the capture stream, and torch.compile(fullgraph=True) traces it."""
    q, k, v = peaked_inputs(device="cuda")
    skip_in = random_mask(q, k)
    skip_out = junk_like(skip_in)
    graph = torch.cuda.CUDAGraph()
    with torch.cuda.graph(graph):
        liteattn.forward(q, k, v, skip_in, skip_out, -4.0)
        capture_stream = torch.cuda.current_stream().cuda_stream
    assert recording_binding.calls[-1]["stream"] == capture_stream

    torch._dynamo.reset()
    compiled = torch.compile(_attention_step, backend="aot_eager", fullgraph=True)
    must_compute = must_compute_for(q, k, 0).cuda()
    out, lse = compiled(q, k, v, skip_in, skip_out, must_compute, -4.0)
    assert out.shape == q.shape and out.device == q.device
    assert recording_binding.calls[-1]["threshold"] == -4.0
    assert recording_binding.calls[-1]["must_compute"] != 0


# ---- Hopper: the compiled kernel --------------------------------------------------------------

def poisoned_like(mask):
    """A skip_out buffer holding kernel_utils.MASK_POISON, which shows any word left unwritten."""
    return torch.full_like(mask, MASK_POISON)


def assert_matches_float64_reference(q, k, v, skip_in, must_compute, threshold, out, lse, skip_out):
    """out, lse and skip_out (poisoned_like before the call) against the float64 reference,
    compared as the kernel tests compare them (kernel_utils): out within 1e-2 relative L2,
    lse's -inf rows exact, every mask word written and skip bits exact except for tiles
    within 1e-3 of the threshold (DESIGN.md section 4)."""
    q, k, v, skip_in, must_compute = (t.cpu() if t is not None else None
                                      for t in (q, k, v, skip_in, must_compute))
    expected_skip = torch.empty_like(skip_out, device="cpu")
    ref_out, ref_lse = reference_forward(q, k, v, skip_in, expected_skip, threshold, None,
                                         must_compute, compute_dtype=torch.float64)
    assert_close_attention(out.cpu(), lse.cpu(), ref_out, ref_lse)
    check_decisions(q, k, v, skip_in, threshold, skip_out.cpu(), expected_skip)


@pytest.mark.gpu
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(
    "batch, seqlen_q, seqlen_k, heads_q, heads_kv, head_dim",
    [(1, 128, 128, 1, 1, 64), (2, 200, 300, 4, 2, 128), (1, 1000, 4500, 6, 3, 64),
     (2, 77, 1030, 8, 8, 128)],
)
def test_gpu_op_matches_float64_reference(dtype, batch, seqlen_q, seqlen_k, heads_q, heads_kv,
                                          head_dim):
    q, k, v = peaked_inputs(batch, seqlen_q, seqlen_k, heads_q, heads_kv, head_dim, dtype, "cuda")
    must_compute = must_compute_for(q, k, 0).cuda()
    # As LiteAttention passes it, a previous skip_out: never skipping a must_compute tile
    # (else the one-tile shape would compute nothing, and test nothing, in 30% of runs).
    skip_in = random_mask(q, k) & ~must_compute
    skip_out = poisoned_like(skip_in)
    out, lse = liteattn.forward(q, k, v, skip_in, skip_out, -4.0, None, must_compute)
    assert_matches_float64_reference(q, k, v, skip_in, must_compute, -4.0, out, lse, skip_out)


@pytest.mark.gpu
def test_gpu_cuda_graph_capture_and_replay():
    shape = dict(batch=2, seqlen_q=300, seqlen_k=700, heads_q=4, heads_kv=2, head_dim=128)
    static = list(peaked_inputs(**shape, device="cuda"))
    static_skip_in = random_mask(static[0], static[1])
    static_skip_out = poisoned_like(static_skip_in)

    side = torch.cuda.Stream()
    side.wait_stream(torch.cuda.current_stream())
    with torch.cuda.stream(side):
        for _ in range(2):
            liteattn.forward(*static, static_skip_in, static_skip_out, -4.0)
    torch.cuda.current_stream().wait_stream(side)

    graph = torch.cuda.CUDAGraph()
    with torch.cuda.graph(graph):
        static_out, static_lse = liteattn.forward(*static, static_skip_in, static_skip_out, -4.0)

    for _ in range(2):
        fresh = peaked_inputs(**shape, device="cuda")
        for dst, src in zip(static, fresh):
            dst.copy_(src)
        static_skip_in.copy_(random_mask(static[0], static[1]))
        static_skip_out.fill_(MASK_POISON)
        graph.replay()
        torch.cuda.synchronize()
        assert_matches_float64_reference(*static, static_skip_in, None, -4.0,
                                         static_out, static_lse, static_skip_out)


class _TinyAttention(torch.nn.Module):
    def __init__(self, dim, heads):
        super().__init__()
        self.heads = heads
        self.qkv = torch.nn.Linear(dim, 3 * dim)
        self.proj = torch.nn.Linear(dim, dim)

    def forward(self, x, skip_in, skip_out):
        batch, seqlen, dim = x.shape
        q, k, v = self.qkv(x).view(batch, seqlen, 3, self.heads, dim // self.heads).unbind(2)
        out, _ = liteattn.forward(q, k, v, skip_in, skip_out, -6.0)
        return self.proj(out.reshape(batch, seqlen, dim))


@pytest.mark.gpu
def test_gpu_compile_fullgraph_module():
    torch._dynamo.reset()
    model = _TinyAttention(dim=256, heads=4).cuda().to(torch.bfloat16)
    x = torch.randn(2, 500, 256, device="cuda", dtype=torch.bfloat16)
    q_like = torch.empty(2, 500, 4, 64, dtype=torch.bfloat16, device="cuda")
    skip_in = random_mask(q_like, q_like)
    skip_eager, skip_compiled = junk_like(skip_in), junk_like(skip_in)

    expected = model(x, skip_in, skip_eager)
    got = torch.compile(model, fullgraph=True)(x, skip_in, skip_compiled)

    assert not torch.isnan(got).any()
    torch.testing.assert_close(got, expected, atol=2e-2, rtol=2e-2)
    # Compiled projections round differently, so tiles at the threshold may flip; the
    # mask must still be written, keep skip_in and agree almost everywhere.
    num_key_tiles = liteattn.tile_grid(500, 500, 64, torch.bfloat16).num_key_tiles
    before = skipmask.words_to_tiles(skip_in, num_key_tiles)
    compiled_tiles = skipmask.words_to_tiles(skip_compiled, num_key_tiles)
    eager_tiles = skipmask.words_to_tiles(skip_eager, num_key_tiles)
    assert torch.equal(skip_compiled, skipmask.tiles_to_words(compiled_tiles))
    assert torch.equal(before & ~compiled_tiles, torch.zeros_like(before))
    assert (compiled_tiles != eager_tiles).float().mean() < 0.05


@pytest.mark.gpu
def test_gpu_kv_expanded_over_the_batch():
    # K and V shared by the batch as an expand() (stride 0 in dimension 0): validation
    # takes it (0 is a multiple of 8), so the TMA descriptor either takes it too and the
    # result is the reference's, or the driver refuses it and the launch says so (never a
    # fault or a silent zero descriptor).
    q, k, v = peaked_inputs(2, 300, 700, 4, 2, 128, torch.bfloat16, "cuda")
    k, v = k[:1].expand_as(k), v[:1].expand_as(v)
    skip_in = random_mask(q, k)
    skip_out = poisoned_like(skip_in)
    try:
        out, lse = liteattn.forward(q, k, v, skip_in, skip_out, -4.0)
    except RuntimeError as e:
        assert "TMA descriptor" in str(e), f"refused, but not by the descriptor check: {e}"
        assert bool((skip_out == MASK_POISON).all()), "a refused call wrote skip_out"
        # Which branch ran is news for validation (it should then reject stride 0 up
        # front): the warning puts it in the round's log, where passing tests are silent.
        warnings.warn("stride-0 K/V: refused by the TMA descriptor check")
        return
    assert_matches_float64_reference(q, k, v, skip_in, None, -4.0, out, lse, skip_out)
    warnings.warn("stride-0 K/V: accepted, and matches the reference")
