"""LiteAttention (python/liteattn/attention.py) on the CPU, through the reference op."""

import inspect
import math
import warnings

import pytest
import torch

from liteattn import skipmask, tiles
from liteattn.__main__ import VideoTrajectory
from liteattn.attention import CallRecord, LiteAttention
from attention_utils import OP

BF16 = torch.bfloat16


def trajectory(seed, steps=4, heads=2, frames=4, height=8, width=16):
    """Structured, temporally coherent inputs: 512 tokens (4 key tiles; 3 or 4 query tiles
    by head dim), local attention."""
    return VideoTrajectory(frames, height, width, heads, 64, steps, seed=seed)


def random_qkv(seqlen=384, heads=2, dim=64, batch=1):
    return tuple(torch.randn(batch, seqlen, heads, dim, dtype=BF16) for _ in range(3))


def dense(q, k, v, **kw):
    return OP(q, k, v, **kw)


def finite(t):
    return bool(torch.isfinite(t.float()).all())


class Spy:
    """Records the keyword arguments of every torch.ops.liteattn.forward call."""

    def __init__(self, monkeypatch):
        self.calls = []
        self._orig = torch.ops.liteattn.forward
        monkeypatch.setattr(torch.ops.liteattn, "forward", self)

    def __call__(self, *args, **kwargs):
        self.calls.append(kwargs)
        return self._orig(*args, **kwargs)


def snapshot(lite, branch=None):
    name = lite.branch if branch is None else branch
    state = lite._branches.get(name)
    if state is None:
        return None
    return (
        tuple(m.clone() for m in state.masks),
        tuple(m.data_ptr() for m in state.masks),
        state.current,
        state.step,
        len(state.history),
        state.shape_key,
    )


def assert_same_state(a, b):
    assert (a is None) == (b is None)
    if a is None:
        return
    assert all(torch.equal(x, y) for x, y in zip(a[0], b[0]))
    assert a[1:] == b[1:]


# ---------------------------------------------------------------------------- the call


def test_threshold_minus_inf_is_dense_attention(seed):
    q, k, v = random_qkv()
    lite = LiteAttention(-math.inf)
    for _ in range(3):
        out, lse = lite(q, k, v, return_lse=True)
        ref_out, ref_lse = dense(q, k, v)
        assert finite(out) and finite(lse)
        assert torch.equal(out, ref_out) and torch.equal(lse, ref_lse)
    assert lite.history() == [0.0, 0.0, 0.0]
    assert int(lite.mask().count_nonzero()) == 0


def test_output_matches_softmax_attention(seed):
    q, k, v = random_qkv(seqlen=200)
    out = LiteAttention()(q, k, v, softmax_scale=0.2)
    ref = torch.nn.functional.scaled_dot_product_attention(
        *(t.float().transpose(1, 2) for t in (q, k, v)), scale=0.2
    ).transpose(1, 2)
    assert finite(out)
    torch.testing.assert_close(out.float(), ref, atol=2e-2, rtol=2e-2)


def test_bhsd_layout_passes_views_and_returns_bhsd(seed, monkeypatch):
    q, k, v = (t.transpose(1, 2).contiguous() for t in random_qkv())  # [B, H, S, D]
    spy = Spy(monkeypatch)
    lite = LiteAttention(-8.0, layout="bhsd")
    out, lse = lite(q, k, v, return_lse=True)
    ref_out, ref_lse = dense(q.transpose(1, 2), k.transpose(1, 2), v.transpose(1, 2))
    assert out.shape == q.shape
    assert torch.equal(out, ref_out.transpose(1, 2)) and torch.equal(lse, ref_lse)
    assert len(spy.calls) == 1
    # Per-call override of the layout, same inputs seen as [B, S, H, D] views.
    out2 = LiteAttention(-8.0)(q, k, v, layout="bhsd")
    assert torch.equal(out2, out)


def test_bhsd_views_are_not_copied(seed, monkeypatch):
    q, k, v = (t.transpose(1, 2).contiguous() for t in random_qkv())
    seen = []
    orig = torch.ops.liteattn.forward

    def spy(qq, kk, vv, **kw):
        seen.append((qq.data_ptr(), kk.data_ptr(), vv.data_ptr(), qq.shape))
        return orig(qq, kk, vv, **kw)

    monkeypatch.setattr(torch.ops.liteattn, "forward", spy)
    LiteAttention(layout="bhsd")(q, k, v)
    assert seen == [(q.data_ptr(), k.data_ptr(), v.data_ptr(), q.transpose(1, 2).shape)]


# ---------------------------------------------------------------------------- double buffering


def test_buffers_flip_and_never_alias(seed, monkeypatch):
    traj = trajectory(seed, steps=5)
    spy = Spy(monkeypatch)
    lite = LiteAttention(-10.0)
    for step in range(5):
        lite(*traj(step))
    ptrs = [(c["skip_in"].data_ptr(), c["skip_out"].data_ptr()) for c in spy.calls]
    for (inp, outp) in ptrs:
        assert inp != outp
    # Two buffers, allocated once, swapped every call.
    assert len({p for pair in ptrs for p in pair}) == 2
    for (in_a, out_a), (in_b, out_b) in zip(ptrs, ptrs[1:]):
        assert in_b == out_a and out_b == in_a
    # The mask the next call reads is the one the last call wrote.
    assert lite.mask().data_ptr() == ptrs[-1][1]


def test_masks_grow_monotonically_and_sparsify(seed):
    steps = 5
    traj = trajectory(seed, steps=steps)
    lite = LiteAttention(-10.0)
    previous = None
    for step in range(steps):
        q, k, v = traj(step)
        out = lite(q, k, v)
        ref, _ = dense(q, k, v)
        assert finite(out)
        err = float((out.float() - ref.float()).norm() / ref.float().norm())
        assert err < 1e-2
        mask = skipmask.words_to_tiles(lite.mask(), 4)
        if previous is not None:
            assert not (previous & ~mask).any(), "a skipped tile came back"
        previous = mask
    hist = lite.history()
    assert len(hist) == steps and hist[0] == 0.0
    assert all(b >= a for a, b in zip(hist, hist[1:]))
    assert hist[-1] > 0.1


# ---------------------------------------------------------------------------- threshold schedule


@pytest.mark.parametrize(
    "threshold, expected",
    [
        (-7.0, [-7.0, -7.0, -7.0, -7.0]),
        ([-12.0, -9.0], [-12.0, -9.0, -9.0, -9.0]),
        (lambda step: -12.0 + 2 * step, [-12.0, -10.0, -8.0, -6.0]),
    ],
    ids=["float", "list", "callable"],
)
def test_threshold_schedule(seed, monkeypatch, threshold, expected):
    spy = Spy(monkeypatch)
    lite = LiteAttention(threshold)
    q, k, v = random_qkv()
    for _ in range(4):
        lite(q, k, v)
    assert [c["threshold"] for c in spy.calls] == expected
    assert [r.threshold for r in lite.records()] == expected
    assert [lite.threshold_at(s) for s in range(4)] == expected


@pytest.mark.parametrize("bad", [0.0, 1.5, float("nan")])
def test_invalid_threshold_raises_without_state_change(seed, bad):
    lite = LiteAttention(lambda step: -8.0 if step == 0 else bad)
    q, k, v = random_qkv()
    lite(q, k, v)
    before = snapshot(lite)
    with pytest.raises(ValueError, match="threshold"):
        lite(q, k, v)
    assert_same_state(before, snapshot(lite))


@pytest.mark.parametrize(
    "bad, where",
    [(1.0, ""), (0, ""), (float("nan"), ""), ([-8.0, -4.0, 0.5], "step 2 "), ([float("nan")], "step 0 ")],
    ids=["positive", "zero", "nan", "list_entry", "list_nan"],
)
def test_fixed_threshold_values_checked_at_construction(bad, where):
    with pytest.raises(ValueError, match=rf"^threshold: {where}got .*, expected a negative float"):
        LiteAttention(bad)


def test_empty_threshold_list_rejected():
    with pytest.raises(ValueError, match="threshold"):
        LiteAttention([])


@pytest.mark.parametrize("bad", [None, "-8", [-8.0, "strict"], True])
def test_threshold_of_wrong_kind_rejected(bad):
    with pytest.raises(ValueError, match=r"^threshold: got .*, expected a float, a sequence of floats"):
        LiteAttention(bad)


def test_warmup_computes_everything_but_records_decisions(seed, monkeypatch):
    traj = trajectory(seed, steps=4)
    spy = Spy(monkeypatch)
    lite = LiteAttention(-10.0, warmup_steps=2)
    for step in range(2):
        q, k, v = traj(step)
        out = lite(q, k, v)
        assert torch.equal(out, dense(q, k, v)[0])
    assert [c["skip_in"] is None for c in spy.calls] == [True, True]
    assert all(c["skip_out"] is not None for c in spy.calls)
    assert lite.history() == [0.0, 0.0]
    assert [r.warmup for r in lite.records()] == [True, True]
    written = lite.mask().clone()
    assert int(written.count_nonzero()) > 0, "warmup steps must still record decisions"
    lite(*traj(2))
    assert spy.calls[-1]["skip_in"] is not None
    assert torch.equal(spy.calls[-1]["skip_in"], written)
    assert lite.history()[-1] > 0


def test_disabled_is_dense_without_masks(seed, monkeypatch):
    traj = trajectory(seed, steps=3)
    spy = Spy(monkeypatch)
    lite = LiteAttention(-10.0, enabled=False)
    for step in range(3):
        q, k, v = traj(step)
        assert torch.equal(lite(q, k, v), dense(q, k, v)[0])
    assert len(spy.calls) == 3
    for c in spy.calls:
        assert c.get("skip_in") is None and c.get("skip_out") is None and c.get("must_compute") is None
    assert lite.branches == () and lite.mask() is None and lite.history() == []
    lite.enabled = True
    lite(*traj(0))
    assert lite.branches == ("default",) and lite.step() == 1


# ---------------------------------------------------------------------------- guidance branches


def test_branches_keep_separate_masks(seed):
    traj = trajectory(seed, steps=4)
    lite = LiteAttention(-10.0)
    for step in range(4):
        q, k, v = traj(step)
        lite(q, k, v, branch="cond")
        # The unconditional branch sees unstructured inputs: nothing is negligible there.
        with lite.use_branch("uncond"):
            lite(*random_qkv(seqlen=512, heads=2))
    assert set(lite.branches) == {"cond", "uncond"}
    assert lite.step("cond") == 4 and lite.step("uncond") == 4
    assert lite.skipped_fraction("cond") > 0.1
    assert lite.history("uncond") == [0.0] * 4
    assert int(lite.mask("uncond").count_nonzero()) == 0
    ptrs = {lite._branches[b].masks[i].data_ptr() for b in ("cond", "uncond") for i in (0, 1)}
    assert len(ptrs) == 4
    assert lite.branch == "default"


def test_branch_attribute_is_the_default_branch(seed):
    lite = LiteAttention()
    lite.branch = "uncond"
    lite(*random_qkv())
    assert lite.branches == ("uncond",) and lite.step("uncond") == 1 and lite.step("cond") == 0


# ---------------------------------------------------------------------------- must_compute


def test_must_compute_ranges_are_never_skipped_and_cached(seed, monkeypatch):
    traj = trajectory(seed, steps=4)
    spy = Spy(monkeypatch)
    lite = LiteAttention(-10.0, must_compute=[(0, 100), (-20, None)])  # tiles 0 and 3 of 4
    for step in range(4):
        lite(*traj(step))
    tiles = skipmask.words_to_tiles(lite.mask(), 4)
    assert not tiles[..., 0].any() and not tiles[..., 3].any()
    assert tiles.any(), "the other tiles should still be skipped"
    bits = spy.calls[0]["must_compute"]
    assert skipmask.words_to_tiles(bits, 4).tolist() == [True, False, False, True]
    assert all(c["must_compute"] is bits for c in spy.calls), "must_compute should be cached per shape"


def test_must_compute_per_call_override(seed, monkeypatch):
    spy = Spy(monkeypatch)
    lite = LiteAttention(-8.0)
    q, k, v = random_qkv(seqlen=512)
    lite(q, k, v)
    lite(q, k, v, must_compute=[(130, 140)])
    assert spy.calls[0]["must_compute"] is None
    assert skipmask.words_to_tiles(spy.calls[1]["must_compute"], 4).tolist() == [False, True, False, False]


def test_must_compute_bad_ranges_rejected():
    with pytest.raises(ValueError, match="must_compute"):
        LiteAttention(must_compute=[(1, 2, 3)])


# ---------------------------------------------------------------------------- reset and reshapes


def test_reset_clears_in_place(seed):
    traj = trajectory(seed, steps=4)
    lite = LiteAttention(-10.0)
    for step in range(4):
        lite(*traj(step), branch="cond")
        lite(*traj(step), branch="uncond")
    ptrs = [m.data_ptr() for b in ("cond", "uncond") for m in lite._branches[b].masks]
    assert lite.mask("cond").count_nonzero() > 0
    lite.reset("uncond")
    assert lite.step("uncond") == 0 and lite.step("cond") == 4
    lite.reset()
    for b in ("cond", "uncond"):
        assert lite.step(b) == 0 and lite.history(b) == []
        assert all(int(m.count_nonzero()) == 0 for m in lite._branches[b].masks)
    assert [m.data_ptr() for b in ("cond", "uncond") for m in lite._branches[b].masks] == ptrs
    lite(*traj(0), branch="cond")
    assert lite.history("cond") == [0.0]


def test_shape_change_reallocates_with_warning(seed):
    traj = trajectory(seed, steps=3)
    lite = LiteAttention(-10.0)
    for step in range(3):
        lite(*traj(step))
    assert lite.skipped_fraction() > 0
    q, k, v = random_qkv(seqlen=640, heads=2)
    with pytest.warns(UserWarning, match="changed shape"):
        out = lite(q, k, v)
    assert torch.equal(out, dense(q, k, v)[0])
    grid = tiles.tile_grid(640, 640, 64, BF16)
    assert lite.mask().shape == (1, 2, grid.num_query_tiles, grid.num_words)
    assert lite.history()[-1] == 0.0
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        lite(q, k, v)  # same shape again: no warning


# ---------------------------------------------------------------------------- failures


def _bad_inputs():
    q, k, v = random_qkv(seqlen=512)
    return {
        "k head dim": (q, torch.randn(1, 512, 2, 128, dtype=BF16), v),
        "float32": (q.float(), k.float(), v.float()),
        "3-d q": (q[0], k, v),
        "heads": (q, torch.randn(1, 512, 3, 64, dtype=BF16), torch.randn(1, 512, 3, 64, dtype=BF16)),
        "head dim 32": tuple(torch.randn(1, 512, 2, 32, dtype=BF16) for _ in range(3)),
    }


@pytest.mark.parametrize("case", list(_bad_inputs()))
def test_failed_call_leaves_state_unchanged(seed, case):
    traj = trajectory(seed, steps=3)
    lite = LiteAttention(-10.0)
    for step in range(2):
        lite(*traj(step))
    before = snapshot(lite)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # nor a reallocation warning for a call that failed
        with pytest.raises((ValueError, TypeError, RuntimeError)):
            lite(*_bad_inputs()[case])
    assert_same_state(before, snapshot(lite))
    assert len(lite.history()) == 2
    # And it carries on where it was.
    lite(*traj(2))
    assert lite.step() == 3


def test_failed_first_call_creates_no_branch(seed):
    lite = LiteAttention()
    with pytest.raises((ValueError, TypeError)):
        lite(*_bad_inputs()["float32"], branch="cond")
    assert lite.branches == () and lite.step("cond") == 0


def test_must_compute_out_of_range_fails_cleanly(seed):
    lite = LiteAttention(-10.0)
    q, k, v = random_qkv(seqlen=512)
    lite(q, k, v)
    before = snapshot(lite)
    with pytest.raises(ValueError):
        lite(q, k, v, must_compute=[(5, 2)])
    assert_same_state(before, snapshot(lite))


# ---------------------------------------------------------------------------- statistics


def test_statistics_are_device_tensors_until_read(seed):
    traj = trajectory(seed, steps=4, heads=3)
    lite = LiteAttention(-10.0)
    for step in range(4):
        lite(*traj(step))
    recs = lite.records()
    assert [r.step for r in recs] == [0, 1, 2, 3]
    assert all(isinstance(r, CallRecord) and isinstance(r.skipped_per_head, torch.Tensor) for r in recs)
    assert all(r.skipped_per_head.shape == (3,) and r.skipped_per_head.dtype == torch.float32 for r in recs)
    per_head = lite.history_per_head()
    assert per_head.shape == (4, 3)
    assert per_head.min() >= 0 and per_head.max() <= 1
    hist = lite.history()
    assert hist == pytest.approx(per_head.mean(dim=1).tolist())
    assert lite.skipped_fraction() == pytest.approx(hist[-1])
    assert lite.skipped_per_head() == pytest.approx(per_head[-1].tolist())
    # The skipped fraction of a call is the density of the mask it read.
    expected = skipmask.density(lite._branches["default"].masks[lite._branches["default"].current ^ 1], 4)
    assert hist[-1] > 0 and hist[-1] == pytest.approx(float(expected), abs=1e-6)


def test_statistics_before_any_call():
    lite = LiteAttention()
    assert lite.history() == [] and lite.skipped_fraction() == 0.0 and lite.skipped_per_head() == []
    assert lite.records() == [] and lite.history_per_head().numel() == 0


def test_save_mask_png(seed, tmp_path):
    pytest.importorskip("matplotlib")
    traj = trajectory(seed, steps=3)
    lite = LiteAttention(-10.0, name="blocks.0.attn1")
    for step in range(3):
        lite(*traj(step), branch="cond")
    path = tmp_path / "mask.png"
    lite.save_mask_png(str(path), branch="cond")
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 1000
    lite.save_mask_png(str(tmp_path / "one.png"), branch="cond", heads=[1])
    with pytest.raises(ValueError, match="uncond"):
        lite.save_mask_png(str(tmp_path / "x.png"), branch="uncond")
    for heads in ([], [2]):
        with pytest.raises(ValueError, match=r"^heads: got .*, expected one or more head indices in \[0, 2\)"):
            lite.save_mask_png(str(tmp_path / "x.png"), branch="cond", heads=heads)


def test_save_mask_png_without_matplotlib(seed, tmp_path, monkeypatch):
    import sys

    lite = LiteAttention()
    lite(*random_qkv())
    for mod in [m for m in sys.modules if m == "matplotlib" or m.startswith("matplotlib.")]:
        monkeypatch.delitem(sys.modules, mod)
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(ImportError, match=r"liteattn\[plot\]"):
        lite.save_mask_png(str(tmp_path / "mask.png"))


def test_constructor_validation():
    with pytest.raises(ValueError, match="layout"):
        LiteAttention(layout="sbhd")
    with pytest.raises(ValueError, match="warmup_steps"):
        LiteAttention(warmup_steps=-1)
    with pytest.raises(ValueError, match="layout"):
        LiteAttention()(*random_qkv(), layout="hsd")


# ---------------------------------------------------------------------------- torch.compile


def _block(lite, q, k, v):
    # Work on both sides of the call, so the compiled code has a graph before and after it.
    return lite(q * 1.0, k, v).float().mul(2.0)


def test_compiled_caller_matches_eager_without_recompiling(seed):
    """A call is one graph break: the code around it compiles once, and ten steps of a
    changing step counter, buffer flip and history recompile nothing."""
    steps = 10
    traj = trajectory(seed, steps=steps)
    eager, compiled = LiteAttention(-8.0), LiteAttention(-8.0)
    compiled_block = torch.compile(_block)
    torch._dynamo.reset()
    with torch._dynamo.config.patch(error_on_recompile=True):
        for step in range(steps):
            q, k, v = traj(step)
            expected = _block(eager, q, k, v)
            assert torch.equal(compiled_block(compiled, q, k, v), expected), f"step {step}: out differs"
            assert torch.equal(compiled.mask(), eager.mask()), f"step {step}: mask differs"
    assert compiled.step() == steps
    assert compiled.history() == eager.history()
    assert eager.history()[-1] > 0, "no tile was skipped: the mask comparison above proved nothing"


@pytest.mark.skipif(
    "reason" not in inspect.signature(torch.compiler.disable).parameters,
    reason="this torch's compiler.disable takes no reason to show",
)
def test_fullgraph_compile_names_the_op_to_use_instead(seed):
    lite = LiteAttention(-8.0)
    torch._dynamo.reset()
    with pytest.raises(Exception, match=r"torch\.ops\.liteattn\.forward"):
        torch.compile(_block, fullgraph=True)(lite, *random_qkv())
    assert lite.step() == 0 and not lite.branches


# ---------------------------------------------------------------------------- GPU: no syncs, CUDA graphs
# Marked `gpu`: tests/conftest.py skips them without a Hopper GPU and the compiled kernels.


@pytest.mark.gpu
def test_gpu_steps_never_synchronise(seed):
    traj = VideoTrajectory(4, 8, 16, 2, 64, 4, seed=seed, device="cuda")
    lite = LiteAttention(-10.0, must_compute=[(0, 64)])
    lite(*traj(0))  # the first call allocates the buffers
    torch.cuda.synchronize()
    torch.cuda.set_sync_debug_mode("error")
    try:
        for step in range(1, 4):
            lite(*traj(step))
    finally:
        torch.cuda.set_sync_debug_mode("default")
    assert lite.history()[-1] > 0


@pytest.mark.gpu
def test_gpu_call_replays_from_a_cuda_graph(seed):
    traj = VideoTrajectory(4, 8, 16, 2, 64, 4, seed=seed, device="cuda")
    lite = LiteAttention(-10.0)
    for step in range(2):
        lite(*traj(step))
    q, k, v = traj(2)
    mask_in = lite.mask().clone()
    expected_mask = torch.empty_like(mask_in)
    expected, _ = OP(q, k, v, skip_in=mask_in, skip_out=expected_mask, threshold=-10.0)
    buffers = [m.data_ptr() for m in lite._branches["default"].masks]

    side = torch.cuda.Stream()
    side.wait_stream(torch.cuda.current_stream())
    graph = torch.cuda.CUDAGraph()
    with torch.cuda.stream(side), torch.cuda.graph(graph):
        out = lite(q, k, v)
    graph.replay()
    torch.cuda.synchronize()
    assert torch.equal(out, expected)
    assert torch.equal(lite.mask(), expected_mask)
    assert [m.data_ptr() for m in lite._branches["default"].masks] == buffers


@pytest.mark.gpu
def test_gpu_two_captured_steps_replay_a_generation(seed):
    """README: capture two consecutive steps (one per buffer of the pair) and replay them
    in turn; the mask then grows on the device exactly as eager steps grow it."""
    traj = VideoTrajectory(4, 8, 16, 2, 64, 2, seed=seed, device="cuda")
    lite = LiteAttention(-10.0)
    lite(*traj(0))  # allocates the pair
    q, k, v = (t.clone() for t in traj(1))  # static inputs, as a captured graph needs

    expected, mask = [], lite.mask().clone()
    for _ in range(4):
        grown = torch.empty_like(mask)
        out, _ = OP(q, k, v, skip_in=mask, skip_out=grown, threshold=-10.0)
        expected.append((out, grown))
        mask = grown

    side = torch.cuda.Stream()
    side.wait_stream(torch.cuda.current_stream())
    graphs, outs, written = [], [], []
    with torch.cuda.stream(side):
        for _ in range(2):
            graph = torch.cuda.CUDAGraph()
            with torch.cuda.graph(graph):
                outs.append(lite(q, k, v))
            graphs.append(graph)
            written.append(lite.mask())  # the host flipped: this is the buffer the step writes
    torch.cuda.current_stream().wait_stream(side)

    for i, (out, grown) in enumerate(expected):
        graphs[i % 2].replay()
        torch.cuda.synchronize()
        assert torch.equal(outs[i % 2], out), f"replay {i}: out differs from the eager step"
        assert torch.equal(written[i % 2], grown), f"replay {i}: mask differs from the eager step"
    assert bool(expected[-1][1].any()), "no tile was ever marked: the mask comparisons proved little"
