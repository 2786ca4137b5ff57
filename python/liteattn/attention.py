"""LiteAttention: the per-layer state that carries skip masks across denoising steps.

One instance per attention layer. Each call runs ``torch.ops.liteattn.forward`` with the
mask the previous step wrote as ``skip_in`` and the other buffer of a pair as ``skip_out``,
then flips the pair, so the mask only grows over a generation (DESIGN.md section 1).
Guidance branches (``"cond"``/``"uncond"``) keep separate pairs so they never read each
other's decisions.

The per-step path never reads a tensor on the host and never synchronises: statistics stay
device tensors until a reader such as :meth:`LiteAttention.history` asks for floats. Once
the mask buffers exist it allocates only through torch (the op's outputs and workspace,
the call's statistics).

``torch.compile``: a call is one graph break. Its bookkeeping is Python state that changes
every step (step counter, buffer flip, history), and tracing it would recompile at every
step; so :meth:`LiteAttention.__call__` is excluded from tracing and the code around it
still compiles. ``fullgraph=True`` therefore fails on a module that calls a LiteAttention;
for a fullgraph region call ``torch.ops.liteattn.forward`` with your own pair of masks.

CUDA graphs: capturing a call records that one step, with its buffers and threshold;
replaying it repeats the step (same ``skip_in``, same ``skip_out``) and advances nothing on
the host. To replay a generation, capture two consecutive steps (one per buffer of the
pair) and replay their graphs in turn.
"""

from __future__ import annotations

import contextlib
import inspect
import math
import warnings
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

import torch

from . import ops as _ops  # noqa: F401  (registers torch.ops.liteattn)
from . import skipmask, tiles

Threshold = float | Sequence[float] | Callable[[int], float]
TokenRanges = Sequence[tuple[int, int | None]]

DEFAULT_BRANCH = "default"
_LAYOUTS = ("bshd", "bhsd")

_NOT_TRACED_BECAUSE = (
    "LiteAttention keeps per-step Python state (step counter, buffer flip, history) that would "
    "recompile the graph at every step; call torch.ops.liteattn.forward directly in a fullgraph region"
)


def _opaque_to_compile(fn):
    """torch.compiler.disable, with the reason Dynamo shows where the torch has the argument."""
    if "reason" in inspect.signature(torch.compiler.disable).parameters:
        return torch.compiler.disable(fn, reason=_NOT_TRACED_BECAUSE)
    return torch.compiler.disable(fn)


@dataclass
class CallRecord:
    """What one call did: its step, the threshold it decided with, and per head the
    fraction of (query tile, key tile) pairs it skipped (a float32 device tensor [Hq])."""

    step: int
    threshold: float
    warmup: bool
    skipped_per_head: torch.Tensor


@dataclass
class _Branch:
    # masks[current] is the next call's skip_in; masks[1 - current] receives its skip_out.
    masks: tuple[torch.Tensor, torch.Tensor]
    current: int
    shape_key: tuple
    num_key_tiles: int
    step: int = 0
    history: list[CallRecord] = field(default_factory=list)


class LiteAttention:
    """Temporal sparse attention for one layer across the steps of a generation.

    Args:
        threshold: log2 of the probability ratio below which a key tile is marked
            (DESIGN.md section 4): a float, a per-step sequence (the last entry holds for
            later steps) or a callable ``step -> float``. Stricter (more negative) early,
            looser late is the usual shape. ``-inf`` marks nothing.
        warmup_steps: the first steps compute every tile (``skip_in=None``) but still
            record decisions, so the first sparse step starts from the last warmup step's.
        enabled: when False every call is plain dense attention and no mask is touched.
        must_compute: key token ranges ``[(start, end), ...]`` that may never be skipped
            (text tokens of joint attention, a first frame). Negative bounds count from
            the end of the key sequence and an ``end`` of None means the end, like Python
            slices: ``[(-226, None)]`` protects the last 226 keys.
        layout: ``"bshd"`` for ``[B, S, H, D]`` tensors (the op's), ``"bhsd"`` for
            ``[B, H, S, D]``; the latter are passed to the op as transposed views.
        softmax_scale: default scale, ``1/sqrt(D)`` when None.
        name: shown in warnings and plots.

    Each guidance branch gets its own mask pair and step counter on its first call. A
    branch whose shapes change (another resolution, batch or device) gets new buffers,
    with a warning, and starts over from step 0. A call that raises changes nothing: the
    op validates before it writes, and buffers, flips, counters and statistics are
    committed only after it returned.
    """

    def __init__(
        self,
        threshold: Threshold = -10.0,
        *,
        warmup_steps: int = 0,
        enabled: bool = True,
        must_compute: TokenRanges | None = None,
        layout: str = "bshd",
        softmax_scale: float | None = None,
        name: str | None = None,
    ) -> None:
        if layout not in _LAYOUTS:
            raise ValueError(f"layout: got {layout!r}, expected one of {_LAYOUTS}")
        if warmup_steps < 0:
            raise ValueError(f"warmup_steps: got {warmup_steps}, expected >= 0")
        # A bool is an int to Python but no threshold: it goes to the sequence branch,
        # which refuses it with the message every other wrong kind gets.
        if callable(threshold) or (isinstance(threshold, (int, float)) and not isinstance(threshold, bool)):
            self.threshold = threshold
        else:
            try:
                self.threshold = [float(t) for t in threshold]
            except (TypeError, ValueError):
                raise ValueError(
                    f"threshold: got {threshold!r}, expected a float, a sequence of floats (one per step) "
                    "or a callable step -> float"
                ) from None
            if not self.threshold:
                raise ValueError("threshold: got an empty sequence, expected one value per step")
        # Fixed values are checked now, so a bad one fails here and not at the first step;
        # a callable's values can only be checked as each step asks for one.
        if isinstance(self.threshold, list):
            for step, value in enumerate(self.threshold):
                _checked_threshold(value, f"step {step} ")
        elif not callable(self.threshold):
            _checked_threshold(float(self.threshold), "")
        self.warmup_steps = int(warmup_steps)
        self.enabled = bool(enabled)
        self.must_compute = _normalise_ranges(must_compute, "must_compute")
        self.layout = layout
        self.softmax_scale = softmax_scale
        self.name = name or "LiteAttention"
        self.branch = DEFAULT_BRANCH
        self._branches: dict[str, _Branch] = {}
        self._must_compute_cache: dict[tuple, torch.Tensor | None] = {}

    # ------------------------------------------------------------------ the call

    @_opaque_to_compile
    def __call__(
        self,
        q: torch.Tensor,
        k: torch.Tensor,
        v: torch.Tensor,
        softmax_scale: float | None = None,
        return_lse: bool = False,
        *,
        branch: str | None = None,
        must_compute: TokenRanges | None = None,
        layout: str | None = None,
    ):
        """Attention of ``q`` over ``k, v`` for this layer's next step.

        ``branch`` (default: the ``branch`` attribute) picks the guidance branch whose mask
        is read and written; ``must_compute`` overrides the constructor's token ranges for
        this call. Returns ``out`` in the input layout, and ``(out, lse)`` with ``lse``
        ``[B, H, Sq]`` float32 when ``return_lse``.
        """
        layout = self.layout if layout is None else layout
        if layout not in _LAYOUTS:
            raise ValueError(f"layout: got {layout!r}, expected one of {_LAYOUTS}")
        for arg, t in (("q", q), ("k", k), ("v", v)):
            if not isinstance(t, torch.Tensor) or t.dim() != 4:
                got = tuple(t.shape) if isinstance(t, torch.Tensor) else type(t).__name__
                raise ValueError(f"{arg}: got {got}, expected a 4-d tensor in layout {layout!r}")
        if layout == "bhsd":
            q, k, v = q.transpose(1, 2), k.transpose(1, 2), v.transpose(1, 2)
        scale = softmax_scale if softmax_scale is not None else self.softmax_scale

        if not self.enabled:
            out, lse = torch.ops.liteattn.forward(q, k, v, softmax_scale=scale)
            return _finish(out, lse, layout, return_lse)

        name = self.branch if branch is None else branch
        state = self._branches.get(name)
        key = _shape_key(q, k)
        fresh = state is None or state.shape_key != key
        if fresh:
            state = self._new_branch(q, k, key)
        step = state.step
        thr = self.threshold_at(step)
        warmup = step < self.warmup_steps
        ranges = self.must_compute if must_compute is None else _normalise_ranges(must_compute, "must_compute")
        must = self._must_compute_bits(ranges, k, q.shape[-1], q.dtype) if ranges else None

        skip_in = None if warmup else state.masks[state.current]
        skip_out = state.masks[1 - state.current]
        out, lse = torch.ops.liteattn.forward(
            q, k, v, skip_in=skip_in, skip_out=skip_out, threshold=thr, softmax_scale=scale, must_compute=must
        )

        # The op accepted the inputs: only now does any state change.
        if fresh:
            if name in self._branches:
                warnings.warn(
                    f"{self.name}: branch {name!r} changed shape from {self._branches[name].shape_key[:5]} "
                    f"to {key[:5]} (batch, heads, seqlen_q, seqlen_k, head_dim); reallocating its masks: "
                    "it starts over from step 0 with empty masks",
                    stacklevel=2,
                )
            self._branches[name] = state
        if skip_in is None:
            skipped = torch.zeros(q.shape[2], dtype=torch.float32, device=q.device)
        else:
            skipped = _skipped_per_head(skip_in, state.num_key_tiles)
        state.history.append(CallRecord(step=step, threshold=thr, warmup=warmup, skipped_per_head=skipped))
        state.current = 1 - state.current
        state.step = step + 1
        return _finish(out, lse, layout, return_lse)

    # ------------------------------------------------------------------ branches and schedule

    @contextlib.contextmanager
    def use_branch(self, name: str) -> Iterator[LiteAttention]:
        """Within the block, calls without an explicit ``branch`` use ``name``."""
        previous, self.branch = self.branch, name
        try:
            yield self
        finally:
            self.branch = previous

    @property
    def branches(self) -> tuple[str, ...]:
        return tuple(self._branches)

    def threshold_at(self, step: int) -> float:
        """The threshold that step ``step`` decides with."""
        if callable(self.threshold):
            value = float(self.threshold(step))
        elif isinstance(self.threshold, (int, float)):
            value = float(self.threshold)
        else:
            value = float(self.threshold[min(step, len(self.threshold) - 1)])
        return _checked_threshold(value, f"step {step} ")

    def step(self, branch: str | None = None) -> int:
        """How many calls ``branch`` has made since its last reset."""
        state = self._branches.get(self.branch if branch is None else branch)
        return 0 if state is None else state.step

    def reset(self, branch: str | None = None) -> None:
        """Start a new generation: masks cleared in place (buffers kept), steps and history
        dropped; for every branch, or only ``branch``."""
        names = list(self._branches) if branch is None else [branch]
        for name in names:
            state = self._branches.get(name)
            if state is None:
                continue
            for m in state.masks:
                m.zero_()
            state.current = 0
            state.step = 0
            state.history.clear()

    # ------------------------------------------------------------------ statistics

    def mask(self, branch: str | None = None) -> torch.Tensor | None:
        """The mask the next call of ``branch`` reads: int32 ``[B, Hq, Tm, W]`` (a live
        buffer; clone it to keep a snapshot). None before the branch's first call."""
        state = self._branches.get(self.branch if branch is None else branch)
        return None if state is None else state.masks[state.current]

    def records(self, branch: str | None = None) -> list[CallRecord]:
        """The raw per-call records of ``branch`` since its last reset (device tensors)."""
        state = self._branches.get(self.branch if branch is None else branch)
        return [] if state is None else list(state.history)

    def history_per_head(self, branch: str | None = None) -> torch.Tensor:
        """Skipped fraction per call and head, float32 ``[calls, Hq]`` on the CPU (one sync)."""
        recs = self.records(branch)
        if not recs:
            return torch.empty(0, 0)
        return torch.stack([r.skipped_per_head for r in recs]).cpu()

    def history(self, branch: str | None = None) -> list[float]:
        """Skipped fraction of each call since the last reset, averaged over heads."""
        return self.history_per_head(branch).mean(dim=1).tolist() if self.records(branch) else []

    def skipped_fraction(self, branch: str | None = None) -> float:
        """Skipped fraction of the last call (0.0 before any call)."""
        recs = self.records(branch)
        return float(recs[-1].skipped_per_head.mean()) if recs else 0.0

    def skipped_per_head(self, branch: str | None = None) -> list[float]:
        """Skipped fraction of the last call, per head."""
        recs = self.records(branch)
        return recs[-1].skipped_per_head.tolist() if recs else []

    def save_mask_png(
        self,
        path: str,
        branch: str | None = None,
        *,
        batch: int = 0,
        heads: Sequence[int] | None = None,
    ) -> None:
        """Draw the current mask of ``branch`` (rows: query tiles, columns: key tiles,
        dark: skipped) for one batch entry and the chosen heads (all by default) as a PNG.
        Needs matplotlib (``pip install liteattn[plot]``)."""
        try:
            from matplotlib.backends.backend_agg import FigureCanvasAgg
            from matplotlib.figure import Figure
            from matplotlib.ticker import MaxNLocator
        except ImportError as e:
            raise ImportError(
                "LiteAttention.save_mask_png needs matplotlib: pip install 'liteattn[plot]' (or matplotlib)"
            ) from e
        name = self.branch if branch is None else branch
        state = self._branches.get(name)
        if state is None:
            raise ValueError(f"{self.name}: branch {name!r} has no mask yet (known: {list(self._branches)})")
        mask = state.masks[state.current]
        if not 0 <= batch < mask.shape[0]:
            raise ValueError(f"batch: got {batch}, expected 0 <= batch < {mask.shape[0]}")
        heads = list(range(mask.shape[1])) if heads is None else list(heads)
        if not heads or not all(0 <= h < mask.shape[1] for h in heads):
            raise ValueError(f"heads: got {heads}, expected one or more head indices in [0, {mask.shape[1]})")
        bits = skipmask.words_to_tiles(mask, state.num_key_tiles)[batch].cpu()

        cols = min(len(heads), 4)
        rows = (len(heads) + cols - 1) // cols
        fig = Figure(figsize=(3.0 * cols, 3.0 * rows + 0.6))
        FigureCanvasAgg(fig)
        for i, h in enumerate(heads):
            ax = fig.add_subplot(rows, cols, i + 1)
            ax.imshow(bits[h].float().numpy(), cmap="Greys", vmin=0, vmax=1, interpolation="nearest")
            ax.set_title(f"head {h}: {bits[h].float().mean():.0%} skipped", fontsize=9)
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
            ax.yaxis.set_major_locator(MaxNLocator(integer=True))
            ax.set_xlabel("key tile", fontsize=8)
            ax.set_ylabel("query tile", fontsize=8)
        fig.suptitle(f"{self.name} [{name}] after step {state.step}", fontsize=10)
        fig.tight_layout()
        fig.savefig(path, dpi=100)

    # ------------------------------------------------------------------ internals

    def _new_branch(self, q: torch.Tensor, k: torch.Tensor, key: tuple) -> _Branch:
        batch, seqlen_q, heads, head_dim = q.shape
        seqlen_k = k.shape[1]
        _, num_key_tiles, _ = tiles.tile_grid(seqlen_q, seqlen_k, head_dim, q.dtype)
        masks = tuple(
            skipmask.new_mask(batch, heads, seqlen_q, seqlen_k, head_dim, q.dtype, device=q.device)
            for _ in range(2)
        )
        return _Branch(masks=masks, current=0, shape_key=key, num_key_tiles=num_key_tiles)

    def _must_compute_bits(
        self, ranges: tuple[tuple[int, int | None], ...], k: torch.Tensor, head_dim: int, dtype: torch.dtype
    ) -> torch.Tensor | None:
        seqlen_k = k.shape[1]
        key = (ranges, seqlen_k, head_dim, dtype, k.device)
        if key not in self._must_compute_cache:
            resolved = []
            for r in ranges:
                start, end = _resolve_range(r, seqlen_k)
                if start > end:
                    raise ValueError(
                        f"must_compute: range {r} is ({start}, {end}) for seqlen_k={seqlen_k}, expected start <= end"
                    )
                if start < end:
                    resolved.append((start, end))
            self._must_compute_cache[key] = (
                skipmask.must_compute_from_ranges(resolved, seqlen_k, head_dim, dtype, device=k.device)
                if resolved
                else None
            )
        return self._must_compute_cache[key]

    def __repr__(self) -> str:
        thr = "callable" if callable(self.threshold) else self.threshold
        return (
            f"LiteAttention(name={self.name!r}, threshold={thr}, warmup_steps={self.warmup_steps}, "
            f"enabled={self.enabled}, branches={list(self._branches)})"
        )


def _checked_threshold(value: float, where: str) -> float:
    if math.isnan(value) or value >= 0:
        raise ValueError(
            f"threshold: {where}got {value}, expected a negative float (log2 of a probability ratio) or -inf"
        )
    return value


def _shape_key(q: torch.Tensor, k: torch.Tensor) -> tuple:
    batch, seqlen_q, heads, head_dim = q.shape
    return (batch, heads, seqlen_q, k.shape[1], head_dim, q.dtype, q.device)


def _skipped_per_head(mask: torch.Tensor, num_key_tiles: int) -> torch.Tensor:
    bits = skipmask.words_to_tiles(mask, num_key_tiles)  # [B, H, Tm, Tn]
    return bits.transpose(0, 1).reshape(bits.shape[1], -1).float().mean(dim=1)


def _finish(out: torch.Tensor, lse: torch.Tensor, layout: str, return_lse: bool):
    if layout == "bhsd":
        out = out.transpose(1, 2)
    return (out, lse) if return_lse else out


def _normalise_ranges(ranges: TokenRanges | None, arg: str) -> tuple[tuple[int, int | None], ...]:
    if ranges is None:
        return ()
    out = []
    for r in ranges:
        try:
            start, end = r
            out.append((int(start), None if end is None else int(end)))
        except (TypeError, ValueError):
            raise ValueError(f"{arg}: got {r!r}, expected (start, end) token ranges") from None
    return tuple(out)


def _resolve_range(r: tuple[int, int | None], seqlen: int) -> tuple[int, int]:
    start, end = r
    end = seqlen if end is None else end
    start, end = (x + seqlen if x < 0 else x for x in (start, end))
    return max(0, min(start, seqlen)), max(0, min(end, seqlen))
