"""liteattn.integrations.diffusers with tiny randomly initialised diffusers transformers (CPU).

The models are built from configs (no downloads) with head dim 64, the smallest the op
takes. Float32 models have q, k, v cast to bf16 for the op, so they match the stock
float32 attention up to bf16 rounding.
"""

import math

import pytest
import torch

diffusers = pytest.importorskip("diffusers", reason="diffusers is not installed (pip install diffusers)")

from liteattn import skipmask  # noqa: E402
from liteattn.integrations import diffusers as lite_diffusers  # noqa: E402
from liteattn.integrations.diffusers import WanLiteAttnProcessor  # noqa: E402
from attention_utils import OP  # noqa: E402


def tiny_wan(dtype=torch.float32, layers=2, head_dim=64):
    model = diffusers.WanTransformer3DModel(
        patch_size=(1, 2, 2),
        num_attention_heads=2,
        attention_head_dim=head_dim,
        in_channels=4,
        out_channels=4,
        text_dim=32,
        freq_dim=32,
        ffn_dim=64,
        num_layers=layers,
        rope_max_seq_len=64,
    )
    # Casting a float32 model to float32 would only log diffusers' keep-in-fp32 warning.
    return (model if dtype == torch.float32 else model.to(dtype)).eval()


def make_local(model, gain=7.0):
    """Give the self-attention of a random Wan model the locality of a trained one: q and
    k mostly a shared constant that RoPE rotates by position, so each token attends to its
    space-time neighbourhood and far key tiles become negligible."""
    with torch.no_grad():
        for block in model.blocks:
            attn = block.attn1
            shared = torch.randn(attn.inner_dim)
            for lin in (attn.to_q, attn.to_k):
                lin.weight.mul_(0.05)
                lin.bias.copy_(shared)
            attn.norm_q.weight.fill_(gain)
            attn.norm_k.weight.fill_(gain)
    return model


def latents(frames=4, height=16, width=32, dtype=torch.float32):
    # 4 x 8 x 16 = 512 tokens after 1x2x2 patching: 4 key tiles of 128.
    return torch.randn(1, 4, frames, height, width, dtype=dtype)


def rel(a, b):
    return float((a.float() - b.float()).norm() / b.float().norm())


def generate(model, x, steps, prompt, negative, *, context="step_index", pipeline_reset=True, on_step=None):
    """A WanPipeline-style loop: cond and uncond calls per step, CFG, the scheduler's real
    timesteps, and the pipeline's stateful-hook reset at the end. ``context`` is how the
    calls are labelled: "step_index" (WanPipeline), "name" (cache_context without the
    step, as HunyuanVideoPipeline) or None (a bare loop)."""
    scheduler = diffusers.FlowMatchEulerDiscreteScheduler(shift=3.0)
    scheduler.set_timesteps(steps)

    def call(i, t, branch, text):
        timestep = t.expand(x.shape[0])
        if context is None:
            return model(x, timestep, text).sample
        kwargs = {"step_index": i, "num_inference_steps": steps} if context == "step_index" else {}
        with model.cache_context(branch, **kwargs):
            return model(x, timestep, text).sample

    with torch.no_grad():
        for i, t in enumerate(scheduler.timesteps):
            cond, uncond = call(i, t, "cond", prompt), call(i, t, "uncond", negative)
            assert torch.isfinite(cond).all() and torch.isfinite(uncond).all()
            x = scheduler.step(uncond + 4.0 * (cond - uncond), t, x).prev_sample
            if on_step is not None:
                on_step(i)
    if pipeline_reset:
        model._reset_stateful_cache()  # what WanPipeline's maybe_free_model_hooks does
    return x


def stock_processors(model):
    return {name: proc for name, proc in model.attn_processors.items()}


# ---------------------------------------------------------------------------- Wan


@pytest.mark.parametrize("dtype, tol", [(torch.float32, 2e-3), (torch.bfloat16, 3e-2)], ids=["fp32", "bf16"])
def test_wan_minus_inf_matches_stock(seed, dtype, tol):
    model = tiny_wan(dtype)
    x, prompt = latents(dtype=dtype), torch.randn(1, 8, 32, dtype=dtype)
    t = torch.tensor([700.0])
    with torch.no_grad():
        ref = model(x, t, prompt).sample
        layers = lite_diffusers.enable(model, threshold=-math.inf)
        out = model(x, t, prompt).sample
    assert torch.isfinite(out).all()
    assert out.dtype == dtype
    assert rel(out, ref) < tol
    assert sorted(layers) == ["blocks.0.attn1", "blocks.1.attn1"]
    assert all(lite.step("default") == 1 for lite in layers.values())


def test_wan_routes_only_self_attention(seed):
    model = tiny_wan()
    before = stock_processors(model)
    layers = lite_diffusers.enable(model, threshold=-8.0)
    after = stock_processors(model)
    for name, proc in after.items():
        if ".attn1." in name:
            assert isinstance(proc, WanLiteAttnProcessor) and proc.stock is before[name]
        else:
            assert proc is before[name], f"{name} (cross-attention) must stay stock"
    assert len({id(lite) for lite in layers.values()}) == len(layers) == 2
    assert lite_diffusers.layers(model) == layers


def test_wan_masks_grow_monotonically_per_branch(seed):
    model = make_local(tiny_wan())
    layers = lite_diffusers.enable(model, threshold=-5.0)
    snapshots = []

    def record(step):
        snapshots.append(
            {(n, b): skipmask.words_to_tiles(l.mask(b), 4).clone() for n, l in layers.items() for b in l.branches}
        )

    steps = 4
    generate(model, latents(), steps, torch.randn(1, 8, 32), torch.randn(1, 8, 32), on_step=record)
    for lite in layers.values():
        assert set(lite.branches) == {"cond", "uncond"}
        # One call per step and branch: the branches never share a double buffer.
        assert lite.step("cond") == steps and lite.step("uncond") == steps
        assert lite.mask("cond").data_ptr() not in {m.data_ptr() for m in lite._branches["uncond"].masks}
    for prev, cur in zip(snapshots, snapshots[1:]):
        for key in cur:
            assert not (prev[key] & ~cur[key]).any(), f"{key}: a skipped tile came back"
    final = [l.history(b)[-1] for l in layers.values() for b in ("cond", "uncond")]
    assert max(final) > 0.1, f"expected real sparsity on a local model, got {final}"
    assert all(l.history(b)[0] == 0.0 for l in layers.values() for b in ("cond", "uncond"))
    summary = lite_diffusers.summary(model, "cond")
    assert set(summary) == set(layers) and all(len(h) == steps for h in summary.values())


@pytest.mark.parametrize("context", ["step_index", "name", None], ids=["step_index", "name_only", "bare_loop"])
def test_second_generation_starts_from_empty_masks(seed, context):
    """Without the pipeline's reset: a branch's step index going back, or the timestep
    going back up, starts a new generation."""
    model = make_local(tiny_wan(layers=1))
    lite = lite_diffusers.enable(model, threshold=-5.0)["blocks.0.attn1"]
    prompt, negative = torch.randn(1, 8, 32), torch.randn(1, 8, 32)
    generate(model, latents(), 3, prompt, negative, context=context, pipeline_reset=False)
    branch = "default" if context is None else "cond"
    first = lite.history(branch)
    assert len(first) == 3 and first[0] == 0.0 and first[-1] > 0
    generate(model, latents(), 2, prompt, negative, context=context, pipeline_reset=False)
    second = lite.history(branch)
    assert len(second) == 2 and second[0] == 0.0
    if context is None:
        # Without cache_context, the second call at a timestep is taken as another branch.
        assert set(lite.branches) == {"default", "call1"} and lite.step("call1") == 2
    else:
        assert set(lite.branches) == {"cond", "uncond"} and lite.step("uncond") == 2


def test_pipeline_reset_applies_at_the_next_call(seed):
    model = make_local(tiny_wan(layers=1))
    lite = lite_diffusers.enable(model, threshold=-5.0)["blocks.0.attn1"]
    generate(model, latents(), 3, torch.randn(1, 8, 32), torch.randn(1, 8, 32), pipeline_reset=True)
    # The finished generation stays readable after the pipeline's reset...
    assert len(lite.history("cond")) == 3 and lite.skipped_fraction("cond") > 0
    # ...and is gone at the next call, even one whose step index would not tell.
    with torch.no_grad(), model.cache_context("cond", step_index=7):
        model(latents(), torch.tensor([300.0]), torch.randn(1, 8, 32))
    assert lite.history("cond") == [0.0] and lite.step("uncond") == 0


def test_manual_reset(seed):
    model = make_local(tiny_wan(layers=1))
    layers = lite_diffusers.enable(model, threshold=-5.0)
    generate(model, latents(), 2, torch.randn(1, 8, 32), torch.randn(1, 8, 32))
    lite_diffusers.reset(model)
    lite = layers["blocks.0.attn1"]
    assert lite.step("cond") == 0 and int(lite.mask("cond").count_nonzero()) == 0


def test_disable_restores_stock_processors(seed):
    model = make_local(tiny_wan())
    x, prompt, t = latents(), torch.randn(1, 8, 32), torch.tensor([500.0])
    before = stock_processors(model)
    with torch.no_grad():
        ref = model(x, t, prompt).sample
    lite_diffusers.enable(model, threshold=-5.0)
    lite_diffusers.enable(model, threshold=-8.0)  # enabling twice replaces, never wraps
    generate(model, latents(), 2, prompt, torch.randn(1, 8, 32))
    lite_diffusers.disable(model)
    after = stock_processors(model)
    assert all(after[name] is proc for name, proc in before.items())
    assert model._diffusers_hook.get_hook(lite_diffusers.HOOK_NAME) is None
    assert lite_diffusers.layers(model) == {}
    with torch.no_grad():
        assert torch.equal(model(x, t, prompt).sample, ref)
    lite_diffusers.disable(model)  # a second disable is a no-op


def test_pipeline_with_two_transformers(seed):
    class Pipe:  # what enable reads from a pipeline: its components
        def __init__(self):
            self.components = {"transformer": tiny_wan(layers=1), "transformer_2": tiny_wan(layers=1), "vae": None}

    pipe = Pipe()
    layers = lite_diffusers.enable(pipe, threshold=-8.0)
    assert sorted(layers) == ["transformer.blocks.0.attn1", "transformer_2.blocks.0.attn1"]
    assert lite_diffusers.layers(pipe) == layers  # same names: the two transformers do not collide
    lite_diffusers.disable(pipe)
    assert not any(isinstance(p, WanLiteAttnProcessor) for p in pipe.components["transformer"].attn_processors.values())


def test_unsupported_head_dim_is_refused():
    model = tiny_wan(head_dim=32)
    with pytest.raises(ValueError, match="head dim 32"):
        lite_diffusers.enable(model)
    assert not any(isinstance(p, WanLiteAttnProcessor) for p in model.attn_processors.values())


def test_refused_pipeline_is_left_unchanged():
    supported, unsupported = tiny_wan(layers=1), tiny_wan(layers=1, head_dim=32)
    pipe = type("Pipe", (), {"components": {"transformer": supported, "transformer_2": unsupported}})()
    with pytest.raises(ValueError, match="head dim 32"):
        lite_diffusers.enable(pipe)
    assert lite_diffusers.layers(pipe) == {}


def test_no_supported_attention_is_refused():
    with pytest.raises(ValueError, match="no supported video self-attention"):
        lite_diffusers.enable(torch.nn.Linear(2, 2))


# ---------------------------------------------------------------------------- joint attention


class OpSpy:
    def __init__(self, monkeypatch):
        self.calls = []
        monkeypatch.setattr(torch.ops.liteattn, "forward", self)

    def __call__(self, q, k, v, **kwargs):
        self.calls.append((q.shape, k.shape, kwargs))
        return OP(q, k, v, **kwargs)


def test_cogvideox_text_first_is_must_compute(seed, monkeypatch):
    model = diffusers.CogVideoXTransformer3DModel(
        num_attention_heads=2, attention_head_dim=64, in_channels=4, out_channels=4, time_embed_dim=32,
        text_embed_dim=32, num_layers=2, sample_width=16, sample_height=16, sample_frames=9, patch_size=2,
        max_text_seq_length=8,
    ).eval()
    x, prompt, t = torch.randn(1, 3, 4, 16, 16), torch.randn(1, 8, 32), torch.tensor([500])
    with torch.no_grad():
        ref = model(x, prompt, t).sample
        layers = lite_diffusers.enable(model, threshold=-math.inf)
        spy = OpSpy(monkeypatch)
        out = model(x, prompt, t).sample
    assert torch.isfinite(out).all() and rel(out, ref) < 2e-3
    assert sorted(layers) == ["transformer_blocks.0.attn1", "transformer_blocks.1.attn1"]
    assert len(spy.calls) == 2
    for q_shape, k_shape, kw in spy.calls:
        assert q_shape[1] == k_shape[1] == 8 + 3 * 8 * 8
        assert skipmask.words_to_tiles(kw["must_compute"], 2).tolist() == [True, False]
    lite_diffusers.disable(model)


def test_hunyuan_video_joint_attention_with_padded_text(seed, monkeypatch):
    model = diffusers.HunyuanVideoTransformer3DModel(
        in_channels=4, out_channels=4, num_attention_heads=2, attention_head_dim=64, num_layers=1,
        num_single_layers=1, num_refiner_layers=1, patch_size=2, patch_size_t=1, text_embed_dim=32,
        pooled_projection_dim=16, rope_axes_dim=(16, 24, 24),
    ).eval()
    x = torch.randn(1, 4, 3, 16, 16)  # 3 * 8 * 8 = 192 video tokens
    prompt, pooled, guidance = torch.randn(1, 12, 32), torch.randn(1, 16), torch.tensor([3000.0])
    text_mask = torch.ones(1, 12, dtype=torch.long)
    text_mask[:, 9:] = 0  # 3 padded text tokens
    t = torch.tensor([500])
    with torch.no_grad():
        ref = model(x, t, prompt, text_mask, pooled, guidance).sample
        layers = lite_diffusers.enable(model, threshold=-math.inf)
        spy = OpSpy(monkeypatch)
        out = model(x, t, prompt, text_mask, pooled, guidance).sample
    assert torch.isfinite(out).all() and rel(out, ref) < 2e-3
    assert sorted(layers) == ["single_transformer_blocks.0.attn", "transformer_blocks.0.attn"]
    assert len(spy.calls) == 2
    for q_shape, k_shape, kw in spy.calls:
        assert q_shape[1] == 192 + 12 and k_shape[1] == 192 + 9, "padded text keys are cut off"
        assert skipmask.words_to_tiles(kw["must_compute"], 2).tolist() == [False, True]
    lite_diffusers.disable(model)
    assert not any("Lite" in type(p).__name__ for p in model.attn_processors.values())


def test_layer_filter_keeps_other_layers_stock(seed):
    model = tiny_wan()
    layers = lite_diffusers.enable(model, threshold=-8.0, layer_filter=lambda name: name.startswith("blocks.1."))
    assert list(layers) == ["blocks.1.attn1"]
    assert not isinstance(model.blocks[0].attn1.processor, WanLiteAttnProcessor)
    assert isinstance(model.blocks[1].attn1.processor, WanLiteAttnProcessor)
    with torch.no_grad():
        out = model(latents(), torch.tensor([500.0]), torch.randn(1, 8, 32)).sample
    assert torch.isfinite(out).all() and layers["blocks.1.attn1"].step() == 1


def test_compiled_blocks_match_eager_without_recompiling(seed):
    """Regional compilation (each transformer block compiled, as diffusers'
    compile_repeated_blocks does): a LiteAttention call is one graph break, so the
    blocks compile once and every step and branch reuses them."""
    eager = make_local(tiny_wan())
    compiled = make_local(tiny_wan())
    compiled.load_state_dict(eager.state_dict())
    eager_layers = lite_diffusers.enable(eager, threshold=-5.0)
    compiled_layers = lite_diffusers.enable(compiled, threshold=-5.0)
    for block in compiled.blocks:
        block.compile()
    x, prompt, negative = latents(), torch.randn(1, 8, 32), torch.randn(1, 8, 32)
    expected = generate(eager, x, 4, prompt, negative, pipeline_reset=False)
    torch._dynamo.reset()
    with torch._dynamo.config.patch(error_on_recompile=True):
        got = generate(compiled, x, 4, prompt, negative, pipeline_reset=False)
    # Inductor's fused float32 code rounds differently from eager's, and the q, k, v cast to
    # bf16 for the op can flip on that: the float32 tolerance of the stock comparison, and
    # skipped fractions within one tile of a branch's 24 (2 heads x 3 x 4 tiles).
    assert rel(got, expected) < 2e-3
    for name, lite in compiled_layers.items():
        for branch in ("cond", "uncond"):
            assert lite.step(branch) == 4, f"{name} {branch}: a step was lost"
            for got_f, want_f in zip(lite.history(branch), eager_layers[name].history(branch)):
                assert abs(got_f - want_f) <= 1 / 24 + 1e-6, f"{name} {branch}: {got_f} vs {want_f}"
    assert max(l.history("cond")[-1] for l in compiled_layers.values()) > 0.1, "no real sparsity"
