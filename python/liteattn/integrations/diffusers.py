"""LiteAttention for diffusers' video transformers.

``enable(pipe_or_transformer, threshold=...)`` gives every video self-attention layer of
the supported transformers its own :class:`~liteattn.LiteAttention`, through diffusers'
own extension points:

* per-module attention processors (``attn.set_processor``): each video self-attention
  module gets a processor that computes q, k, v exactly as the stock one does and runs
  the attention through its layer's LiteAttention. Cross-attention and text-only
  attention keep their stock processors (dense). ``disable`` puts the stock processor
  objects back.
* a stateful model hook (``diffusers.hooks.HookRegistry``) on the transformer, which
  receives the pipeline's ``cache_context("cond"/"uncond", step_index=...)`` so the two
  guidance branches keep separate masks, and whose state the pipeline resets when a
  generation ends (``maybe_free_model_hooks``).

A new generation is detected when the pipeline resets its stateful hooks, when a branch's
``step_index`` does not increase, or, for loops without ``cache_context``, when the
timestep goes back up; in that last case calls that share a timestep are taken as
separate guidance branches ("default", "call1", ...), which reads the timestep on the host
once per transformer call. The statistics of the last generation stay readable until the
next one starts.

Models: ``WanTransformer3DModel`` and the other transformers built from ``WanAttention``
(self-attention ``attn1``; text is only in cross-attention), ``HunyuanVideoTransformer3DModel``
(joint attention, text at the end: its tokens are ``must_compute``, and padded text
keys are cut off, which reads the text length on the host once per transformer call) and
``CogVideoXTransformer3DModel`` (joint attention, text first: ``must_compute``).

The op takes bf16/fp16 q, k, v with head dim 64 or 128. A model run in float32 has its
q, k, v cast to bf16 for the attention and the output cast back, so its outputs differ
from the stock float32 attention by bf16 rounding.
"""

from __future__ import annotations

import inspect
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field

import torch

from ..attention import LiteAttention, Threshold
from ..tiles import SUPPORTED_DTYPES, SUPPORTED_HEAD_DIMS

try:
    from diffusers.hooks.hooks import BaseState, HookRegistry, ModelHook, StateManager
except ImportError as e:  # pragma: no cover - exercised only without diffusers
    raise ImportError(
        "liteattn.integrations.diffusers needs diffusers (pip install 'liteattn[diffusers]' or diffusers)"
    ) from e

__all__ = ["enable", "disable", "reset", "layers", "summary"]

HOOK_NAME = "liteattn"


# ---------------------------------------------------------------------------- per-model session


@dataclass
class _Session:
    """What one transformer's hook and its processors share: the active branch and the
    bookkeeping that recognises a new generation."""

    layers: dict[str, LiteAttention] = field(default_factory=dict)
    # Positions of forward()'s arguments the hook reads when they come positionally.
    arg_index: dict[str, int] = field(default_factory=dict)
    branch: str = "default"
    context: object | None = None
    pending_reset: bool = False
    last_step: dict[str, int] = field(default_factory=dict)
    last_timestep: float | None = None
    calls_at_timestep: int = 0
    # HunyuanVideo: valid text tokens of this call (None: no padding information).
    text_len: int | None = None
    text_len_uniform: bool = True

    def reset(self) -> None:
        for lite in self.layers.values():
            lite.reset()
        self.last_step.clear()
        self.last_timestep = None
        self.calls_at_timestep = 0
        self.pending_reset = False

    def begin_call(self, args: tuple, kwargs: dict) -> None:
        if self.pending_reset:
            self.reset()
        ctx = self.context
        if ctx is not None:
            self.branch = ctx.name
            if ctx.step_index is not None:
                last = self.last_step.get(ctx.name)
                if last is not None and ctx.step_index <= last:
                    self.reset()
                self.last_step[ctx.name] = ctx.step_index
                return
        t = self._timestep(args, kwargs)
        if t is None:
            if ctx is None:
                self.branch = "default"
            return
        if self.last_timestep is not None and t == self.last_timestep:
            self.calls_at_timestep += 1
        else:
            if self.last_timestep is not None and t > self.last_timestep:
                self.reset()
            self.calls_at_timestep = 0
        self.last_timestep = t
        if ctx is None:
            self.branch = "default" if self.calls_at_timestep == 0 else f"call{self.calls_at_timestep}"

    def argument(self, name: str, args: tuple, kwargs: dict):
        if name in kwargs:
            return kwargs[name]
        index = self.arg_index.get(name)
        return args[index] if index is not None and index < len(args) else None

    def _timestep(self, args: tuple, kwargs: dict) -> float | None:
        t = self.argument("timestep", args, kwargs)
        if t is None:
            return None
        if isinstance(t, torch.Tensor):
            return float(t.detach().flatten().max())  # one host read per transformer call
        return float(t)


class _NoState(BaseState):
    def reset(self, *args, **kwargs) -> None:
        pass


class _ContextTap(StateManager):
    """Receives ``cache_context`` updates, which diffusers hands to the StateManagers of
    stateful hooks."""

    def __init__(self, session: _Session) -> None:
        super().__init__(_NoState)
        self._session = session

    def set_context(self, context) -> None:
        super().set_context(context)
        self._session.context = context


class _LiteAttentionHook(ModelHook):
    _is_stateful = True

    def __init__(self, session: _Session) -> None:
        super().__init__()
        self.session = session
        self.context_tap = _ContextTap(session)

    def pre_forward(self, module, *args, **kwargs):
        self.session.begin_call(args, kwargs)
        mask = self.session.argument("encoder_attention_mask", args, kwargs)
        if mask is not None:
            lengths = mask.sum(dim=1).tolist()  # one host read per transformer call
            self.session.text_len = int(lengths[0])
            self.session.text_len_uniform = all(n == lengths[0] for n in lengths)
        else:
            self.session.text_len = None
        return args, kwargs

    def reset_state(self, module):
        # The pipeline calls this when a generation ends; resetting lazily at the next
        # call keeps the finished generation's statistics readable until then.
        self.session.pending_reset = True
        return module


# ---------------------------------------------------------------------------- processors


class _LiteProcessor:
    """Common part of the processors: the layer's LiteAttention and the stock processor
    it replaced (restored by ``disable`` and used for calls it cannot take)."""

    _attention_backend = None
    _parallel_config = None

    def __init__(self, lite: LiteAttention, session: _Session, stock) -> None:
        self.lite = lite
        self.session = session
        self.stock = stock

    def _attend(self, q, k, v, must_compute=None, layout: str = "bshd") -> torch.Tensor:
        dtype = q.dtype
        if dtype not in SUPPORTED_DTYPES:
            q, k, v = (x.to(torch.bfloat16) for x in (q, k, v))
        out = self.lite(q, k, v, branch=self.session.branch, must_compute=must_compute, layout=layout)
        return out.to(dtype)


class WanLiteAttnProcessor(_LiteProcessor):
    """Wan self-attention (``attn1``): the stock WanAttnProcessor's q/k/v path, then
    LiteAttention. Cross-attention never reaches it; masked or context-parallel calls go
    to the stock processor."""

    def __call__(
        self,
        attn,
        hidden_states: torch.Tensor,
        encoder_hidden_states: torch.Tensor | None = None,
        attention_mask: torch.Tensor | None = None,
        rotary_emb: tuple[torch.Tensor, torch.Tensor] | None = None,
    ) -> torch.Tensor:
        if encoder_hidden_states is not None or attention_mask is not None or self._parallel_config is not None:
            return self.stock(attn, hidden_states, encoder_hidden_states, attention_mask, rotary_emb)
        if attn.fused_projections:
            query, key, value = attn.to_qkv(hidden_states).chunk(3, dim=-1)
        else:
            query, key, value = attn.to_q(hidden_states), attn.to_k(hidden_states), attn.to_v(hidden_states)
        query = attn.norm_q(query).unflatten(2, (attn.heads, -1))
        key = attn.norm_k(key).unflatten(2, (attn.heads, -1))
        value = value.unflatten(2, (attn.heads, -1))
        if rotary_emb is not None:
            query = _wan_rotary(query, *rotary_emb)
            key = _wan_rotary(key, *rotary_emb)
        out = self._attend(query, key, value).flatten(2, 3).type_as(query)
        return attn.to_out[1](attn.to_out[0](out))


def _wan_rotary(x: torch.Tensor, freqs_cos: torch.Tensor, freqs_sin: torch.Tensor) -> torch.Tensor:
    # Same arithmetic as diffusers' WanAttnProcessor (interleaved pairs, float64 freqs).
    x1, x2 = x.unflatten(-1, (-1, 2)).unbind(-1)
    cos = freqs_cos[..., 0::2]
    sin = freqs_sin[..., 1::2]
    out = torch.empty_like(x)
    out[..., 0::2] = x1 * cos - x2 * sin
    out[..., 1::2] = x1 * sin + x2 * cos
    return out.type_as(x)


class CogVideoXLiteAttnProcessor(_LiteProcessor):
    """CogVideoX joint attention (text first, then video): the stock processor's path,
    with the text keys as must_compute."""

    def __call__(
        self,
        attn,
        hidden_states: torch.Tensor,
        encoder_hidden_states: torch.Tensor,
        attention_mask: torch.Tensor | None = None,
        image_rotary_emb: torch.Tensor | None = None,
    ):
        if attention_mask is not None:
            return self.stock(attn, hidden_states, encoder_hidden_states, attention_mask, image_rotary_emb)
        from diffusers.models.embeddings import apply_rotary_emb

        text_len = encoder_hidden_states.size(1)
        hidden_states = torch.cat([encoder_hidden_states, hidden_states], dim=1)
        batch = hidden_states.shape[0]
        query, key, value = attn.to_q(hidden_states), attn.to_k(hidden_states), attn.to_v(hidden_states)
        head_dim = key.shape[-1] // attn.heads
        query = query.view(batch, -1, attn.heads, head_dim).transpose(1, 2)
        key = key.view(batch, -1, attn.heads, head_dim).transpose(1, 2)
        value = value.view(batch, -1, attn.heads, head_dim).transpose(1, 2)
        if attn.norm_q is not None:
            query = attn.norm_q(query)
        if attn.norm_k is not None:
            key = attn.norm_k(key)
        if image_rotary_emb is not None:
            query[:, :, text_len:] = apply_rotary_emb(query[:, :, text_len:], image_rotary_emb)
            if not attn.is_cross_attention:
                key[:, :, text_len:] = apply_rotary_emb(key[:, :, text_len:], image_rotary_emb)
        out = self._attend(query, key, value, must_compute=[(0, text_len)], layout="bhsd")
        out = out.transpose(1, 2).reshape(batch, -1, attn.heads * head_dim)
        out = attn.to_out[1](attn.to_out[0](out))
        encoder_hidden_states, hidden_states = out.split([text_len, out.size(1) - text_len], dim=1)
        return hidden_states, encoder_hidden_states


class HunyuanVideoLiteAttnProcessor(_LiteProcessor):
    """HunyuanVideo joint attention (video, then text; dual- and single-stream blocks):
    the stock processor's path, with the valid text keys as must_compute and the padded
    text keys cut off instead of masked."""

    def __call__(
        self,
        attn,
        hidden_states: torch.Tensor,
        encoder_hidden_states: torch.Tensor | None = None,
        attention_mask: torch.Tensor | None = None,
        image_rotary_emb: torch.Tensor | None = None,
    ):
        session = self.session
        if self._parallel_config is not None or encoder_hidden_states is None or (
            attention_mask is not None and (session.text_len is None or not session.text_len_uniform)
        ):
            return self.stock(attn, hidden_states, encoder_hidden_states, attention_mask, image_rotary_emb)
        from diffusers.models.embeddings import apply_rotary_emb

        video_len, text_len = hidden_states.shape[1], encoder_hidden_states.shape[1]
        single_stream = attn.add_q_proj is None
        if single_stream:
            hidden_states = torch.cat([hidden_states, encoder_hidden_states], dim=1)
        query, key, value = _project_heads(
            attn.heads, hidden_states, (attn.to_q, attn.to_k, attn.to_v), (attn.norm_q, attn.norm_k)
        )
        if image_rotary_emb is not None:

            def rope(x):
                return apply_rotary_emb(x, image_rotary_emb, sequence_dim=1)

            if single_stream:
                query = torch.cat([rope(query[:, :video_len]), query[:, video_len:]], dim=1)
                key = torch.cat([rope(key[:, :video_len]), key[:, video_len:]], dim=1)
            else:
                query, key = rope(query), rope(key)
        if not single_stream:
            enc_q, enc_k, enc_v = _project_heads(
                attn.heads,
                encoder_hidden_states,
                (attn.add_q_proj, attn.add_k_proj, attn.add_v_proj),
                (attn.norm_added_q, attn.norm_added_k),
            )
            query = torch.cat([query, enc_q], dim=1)
            key = torch.cat([key, enc_k], dim=1)
            value = torch.cat([value, enc_v], dim=1)
        valid_text = text_len if attention_mask is None else min(session.text_len, text_len)
        keys = video_len + valid_text
        key, value = key[:, :keys], value[:, :keys]
        must = [(video_len, keys)] if valid_text > 0 else None
        out = self._attend(query, key, value, must_compute=must).flatten(2, 3).to(query.dtype)
        out, encoder_out = out[:, :video_len], out[:, video_len:]
        if getattr(attn, "to_out", None) is not None:
            out = attn.to_out[1](attn.to_out[0](out))
        if getattr(attn, "to_add_out", None) is not None:
            encoder_out = attn.to_add_out(encoder_out)
        return out, encoder_out


def _project_heads(
    heads: int, states: torch.Tensor, projections: tuple, norms: tuple
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """q, k, v ``[B, S, heads, head_dim]`` from ``states`` through the three ``projections``,
    with q and k through their ``norms`` where the module has them (not None)."""
    query, key, value = (proj(states).unflatten(2, (heads, -1)) for proj in projections)
    norm_q, norm_k = norms
    if norm_q is not None:
        query = norm_q(query)
    if norm_k is not None:
        key = norm_k(key)
    return query, key, value


# ---------------------------------------------------------------------------- which modules


def _self_attention_processor(module) -> type[_LiteProcessor] | None:
    """The Lite processor for `module` when it is a video self-attention we support."""
    processor = getattr(module, "processor", None)
    if processor is None or not hasattr(module, "set_processor"):
        return None
    name = type(processor).__name__
    if name == "WanAttnProcessor" and not getattr(module, "is_cross_attention", True):
        return WanLiteAttnProcessor
    if name == "CogVideoXAttnProcessor2_0":
        return CogVideoXLiteAttnProcessor
    if name == "HunyuanVideoAttnProcessor2_0":
        return HunyuanVideoLiteAttnProcessor
    return None


def _transformers(pipe_or_transformer) -> dict[str, torch.nn.Module]:
    """The models to patch, by the prefix of their layer names: "" for a transformer given
    directly, the component name for each nn.Module component of a pipeline."""
    if isinstance(pipe_or_transformer, torch.nn.Module):
        return {"": pipe_or_transformer}
    components = getattr(pipe_or_transformer, "components", None)
    if not isinstance(components, dict):
        raise TypeError(
            "pipe_or_transformer: got "
            f"{type(pipe_or_transformer).__name__}, expected a diffusers pipeline or a transformer nn.Module"
        )
    return {name: c for name, c in components.items() if isinstance(c, torch.nn.Module)}


def _layer_name(prefix: str, name: str) -> str:
    # Pipelines such as Wan 2.2's have two transformers with the same module names.
    return f"{prefix}.{name}" if prefix else name


def _head_dim(module) -> int:
    inner = module.to_q.out_features
    return inner // module.heads


def _arg_index(model: torch.nn.Module) -> dict[str, int]:
    params = [
        p.name
        for p in inspect.signature(type(model).forward).parameters.values()
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
    ][1:]
    return {name: params.index(name) for name in ("timestep", "encoder_attention_mask") if name in params}


# ---------------------------------------------------------------------------- public API


def enable(
    pipe_or_transformer,
    threshold: Threshold = -10.0,
    *,
    warmup_steps: int = 0,
    enabled: bool = True,
    layer_filter: Callable[[str], bool] | None = None,
) -> dict[str, LiteAttention]:
    """Route the video self-attention of a pipeline's transformers (or of one transformer)
    through LiteAttention, one instance per layer; cross- and text attention stay dense.

    ``threshold``, ``warmup_steps`` and ``enabled`` are LiteAttention's (the threshold
    schedule counts denoising steps per guidance branch). ``layer_filter(name)`` can keep
    some layers dense. Returns the new layers by module name (prefixed with the pipeline
    component's name for pipelines). Enabling again replaces the previous layers.
    """
    models = _transformers(pipe_or_transformer)
    # Every model is checked before any is changed, so a refused call leaves all of them as they were.
    plan: list[tuple[str, torch.nn.Module, dict[str, torch.nn.Module]]] = []
    for prefix, model in models.items():
        candidates = {
            name: module
            for name, module in model.named_modules()
            if _is_lite(module) or _self_attention_processor(module)
        }
        if not candidates:
            continue
        chosen = {name: m for name, m in candidates.items() if layer_filter is None or layer_filter(name)}
        for name, module in chosen.items():
            head_dim = _head_dim(module)
            if head_dim not in SUPPORTED_HEAD_DIMS:
                raise ValueError(
                    f"{type(model).__name__}.{name}: head dim {head_dim} is not supported by "
                    f"liteattn (supported: {SUPPORTED_HEAD_DIMS})"
                )
        plan.append((prefix, model, chosen))
    if not plan:
        kinds = ", ".join(type(m).__name__ for m in models.values()) or "no nn.Module components"
        raise ValueError(
            f"enable: found no supported video self-attention in {kinds}; supported: WanTransformer3DModel "
            "(and other WanAttention models), HunyuanVideoTransformer3DModel, CogVideoXTransformer3DModel"
        )
    result: dict[str, LiteAttention] = {}
    for prefix, model, chosen in plan:
        disable(model)
        session = _Session(arg_index=_arg_index(model))
        for name, module in chosen.items():
            lite = LiteAttention(threshold, warmup_steps=warmup_steps, enabled=enabled, name=name)
            module.set_processor(_self_attention_processor(module)(lite, session, module.processor))
            session.layers[name] = lite
            result[_layer_name(prefix, name)] = lite
        HookRegistry.check_if_exists_or_initialize(model).register_hook(_LiteAttentionHook(session), HOOK_NAME)
    return result


def disable(pipe_or_transformer) -> None:
    """Put the stock processors back and remove the hook; a no-op where not enabled."""
    for model in _transformers(pipe_or_transformer).values():
        for _, module in model.named_modules():
            if _is_lite(module):
                module.set_processor(module.processor.stock)
        registry = getattr(model, "_diffusers_hook", None)
        if registry is not None and registry.get_hook(HOOK_NAME) is not None:
            registry.remove_hook(HOOK_NAME, recurse=False)


def reset(pipe_or_transformer) -> None:
    """Start a new generation now (masks, steps and statistics of every layer)."""
    for session in _sessions(pipe_or_transformer):
        session.reset()


def layers(pipe_or_transformer) -> dict[str, LiteAttention]:
    """The LiteAttention of every enabled layer, by module name (prefixed with the pipeline
    component's name for pipelines, as ``enable`` returns them)."""
    out: dict[str, LiteAttention] = {}
    for prefix, model in _transformers(pipe_or_transformer).items():
        for name, module in model.named_modules():
            if _is_lite(module):
                out[_layer_name(prefix, name)] = module.processor.lite
    return out


def summary(pipe_or_transformer, branch: str | None = None) -> dict[str, list[float]]:
    """Skipped fraction per step of every enabled layer, for ``branch`` (the first branch
    each layer saw when None). Reads the device statistics once per layer."""
    result = {}
    for name, lite in layers(pipe_or_transformer).items():
        if lite.branches:
            result[name] = lite.history(branch if branch is not None else lite.branches[0])
    return result


def _is_lite(module) -> bool:
    return isinstance(getattr(module, "processor", None), _LiteProcessor)


def _sessions(pipe_or_transformer) -> list[_Session]:
    found = []
    for model in _transformers(pipe_or_transformer).values():
        registry = getattr(model, "_diffusers_hook", None)
        hook = registry.get_hook(HOOK_NAME) if registry is not None else None
        if hook is not None:
            found.append(hook.session)
    if not found:
        warnings.warn("liteattn: no LiteAttention is enabled here; nothing to reset", stacklevel=3)
    return found
