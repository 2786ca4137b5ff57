"""LiteAttention over denoising trajectories: sparsity, error and time per step.

Two parts, each against a dense run of the same inputs:

1. synthetic: structured, temporally coherent attention inputs at video size (the demo's
   VideoTrajectory: tokens on a frames x height x width grid, attention local in
   space-time, drifting slowly over the steps). Per step: the fraction of tiles skipped,
   the relative error of the attention output, the share of attention probability the
   skipped tiles held, attention time (CUDA events) and the step's wall time. At the same
   sparsity (the same number of skipped tiles in every query-tile row) it also measures
   a per-step oracle (skip the tiles with the least true block attention mass at that
   step) and a static local window (skip the key tiles farthest from the query tile), so
   the temporal method is placed between the best and a naive mask of equal cost.
2. diffusers: a WanTransformer3DModel with random weights on a video-size latent, driven
   by the scheduler's real timesteps with classifier-free guidance (cond and uncond in
   cache_context, as WanPipeline does), once dense and once with LiteAttention. Per step:
   skipped fraction (mean over layers), relative error of every attention output against
   dense attention of the same inputs, relative error of the latent against the dense
   trajectory, attention time (CUDA events) and transformer time (end to end). Random
   weights give diffuse attention that nothing can skip, so by default q and k are made
   local the way a trained video DiT's are (--localize, 0 turns it off).

Writes trajectory.json and trajectory.png (sparsity and error over steps) to --out and
prints a table per part. ``--device cpu --small`` is a smoke run through the CPU reference.

    python bench/trajectory.py --out bench/out            # GPU, video size
    python bench/trajectory.py --device cpu --small --out /tmp/traj
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "python"))

import liteattn  # noqa: E402
from liteattn import skipmask  # noqa: E402
from liteattn.__main__ import Timer, VideoTrajectory  # noqa: E402
from liteattn.attention import LiteAttention  # noqa: E402

_OP = torch.ops.liteattn.forward


# ---------------------------------------------------------------------------- timing


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def rel_error(x: torch.Tensor, ref: torch.Tensor) -> float:
    return float((x.float() - ref.float()).norm() / ref.float().norm().clamp_min(1e-30))


# ---------------------------------------------------------------------------- masks of equal sparsity


def block_mass(q, k, lse, scale: float, block: tuple[int, int], budget_bytes: int) -> torch.Tensor:
    """True attention mass of every (query tile, key tile) pair, float32 [B, H, Tm, Tn]:
    per query row the probability the key tile holds, averaged over the tile's rows."""
    batch, seqlen_q, heads, _ = q.shape
    seqlen_k = k.shape[1]
    block_m, block_n = block
    grid = liteattn.tiles.grid_from_block_shape(seqlen_q, seqlen_k, block)
    keys = k.transpose(1, 2).float()
    if keys.shape[1] != heads:
        keys = keys.repeat_interleave(heads // keys.shape[1], dim=1)
    rows = max(block_m, budget_bytes // (4 * batch * heads * seqlen_k) // block_m * block_m)
    mass = torch.zeros(batch, heads, grid.num_query_tiles, grid.num_key_tiles, device=q.device)
    for r0 in range(0, seqlen_q, rows):
        r1 = min(r0 + rows, seqlen_q)
        scores = q[:, r0:r1].transpose(1, 2).float() @ keys.transpose(-1, -2) * scale
        probs = (scores - lse[:, :, r0:r1, None]).exp_()
        probs = F.pad(probs, (0, grid.num_key_tiles * block_n - seqlen_k))
        per_tile = probs.unflatten(-1, (grid.num_key_tiles, block_n)).sum(-1)  # [B, H, rows, Tn]
        n = r1 - r0
        per_tile = F.pad(per_tile, (0, 0, 0, -n % block_m)).unflatten(2, (-1, block_m)).sum(3)
        valid = torch.full((per_tile.shape[2],), float(block_m), device=q.device)
        valid[-1] = n - (per_tile.shape[2] - 1) * block_m
        mass[:, :, r0 // block_m : r0 // block_m + per_tile.shape[2]] = per_tile / valid[:, None]
    return mass


def mask_skipping_lowest(score: torch.Tensor, counts: torch.Tensor) -> torch.Tensor:
    """int32 mask skipping, in every row, the ``counts`` tiles of lowest ``score``."""
    order = score.argsort(dim=-1)
    rank = torch.empty_like(order)
    rank.scatter_(-1, order, torch.arange(score.shape[-1], device=score.device).expand_as(order))
    return skipmask.tiles_to_words(rank < counts.unsqueeze(-1))


def local_window_score(tm: int, tn: int, device) -> torch.Tensor:
    """Static preference for a local window: key tiles far (in tile index) from the query
    tile score low, so they are skipped first."""
    m = torch.arange(tm, device=device, dtype=torch.float32)[:, None]
    j = torch.arange(tn, device=device, dtype=torch.float32)[None, :]
    return -(m * tn / max(tm, 1) - j).abs() - 1e-3 * j


# ---------------------------------------------------------------------------- part 1: synthetic


@dataclass
class SyntheticStep:
    step: int
    skipped: float
    rel_error: float
    oracle_rel_error: float
    window_rel_error: float
    mass_dropped: float
    oracle_mass_dropped: float
    window_mass_dropped: float
    attention_ms: float
    dense_ms: float
    step_ms: float


def run_synthetic(args, device: torch.device) -> dict:
    frames, height, width, heads, head_dim = args.synthetic_size
    steps = args.steps
    traj = VideoTrajectory(frames, height, width, heads, head_dim, steps, seed=args.seed, device=device)
    lite = LiteAttention(args.threshold, warmup_steps=args.warmup, name="synthetic")
    block = liteattn.tile_shape(head_dim, torch.bfloat16)
    scale = 1.0 / math.sqrt(head_dim)
    LiteAttention(args.threshold)(*traj(0))  # first-call initialisation stays out of the timings
    _OP(*traj(0))
    sync(device)
    timer = Timer(device)
    print(f"\nsynthetic: {frames}x{height}x{width} = {frames * height * width} tokens, {heads} heads, "
          f"head dim {head_dim}, {steps} steps, threshold {args.threshold}, device {device}")
    print(f"{'step':>4} {'skipped':>8} {'err':>9} {'oracle':>9} {'window':>9} {'mass':>9} "
          f"{'attn ms':>9} {'dense ms':>9}")
    results = []
    for step in range(steps):
        q, k, v = traj(step)
        sync(device)
        skip_in = lite.mask()
        skip_in = None if skip_in is None or step < args.warmup else skip_in.clone()
        t0 = time.perf_counter()
        with timer:
            out = lite(q, k, v)
        attention_ms = timer.ms
        step_ms = (time.perf_counter() - t0) * 1e3
        with timer:
            ref, lse = _OP(q, k, v)
        dense_ms = timer.ms

        mass = block_mass(q, k, lse, scale, block, args.budget_bytes)
        grid = mass.shape[-2:]
        if skip_in is None:
            skipped_tiles = torch.zeros_like(mass, dtype=torch.bool)
        else:
            skipped_tiles = skipmask.words_to_tiles(skip_in, grid[1])
        counts = skipped_tiles.sum(-1)
        oracle = mask_skipping_lowest(mass, counts)
        window = mask_skipping_lowest(local_window_score(*grid, device).expand_as(mass), counts)
        out_oracle, _ = _OP(q, k, v, skip_in=oracle)
        out_window, _ = _OP(q, k, v, skip_in=window)

        def dropped(tiles_bool):
            return float((mass * tiles_bool).sum(-1).mean())

        r = SyntheticStep(
            step=step,
            skipped=lite.skipped_fraction(),
            rel_error=rel_error(out, ref),
            oracle_rel_error=rel_error(out_oracle, ref),
            window_rel_error=rel_error(out_window, ref),
            mass_dropped=dropped(skipped_tiles),
            oracle_mass_dropped=dropped(skipmask.words_to_tiles(oracle, grid[1])),
            window_mass_dropped=dropped(skipmask.words_to_tiles(window, grid[1])),
            attention_ms=attention_ms,
            dense_ms=dense_ms,
            step_ms=step_ms,
        )
        results.append(r)
        print(f"{step:>4} {r.skipped:>7.1%} {r.rel_error:>9.2e} {r.oracle_rel_error:>9.2e} "
              f"{r.window_rel_error:>9.2e} {r.mass_dropped:>9.2e} {attention_ms:>9.2f} {dense_ms:>9.2f}",
              flush=True)
    summary = {
        "final_skipped": results[-1].skipped,
        "mean_skipped": sum(r.skipped for r in results) / steps,
        "max_rel_error": max(r.rel_error for r in results),
        "max_oracle_rel_error": max(r.oracle_rel_error for r in results),
        "max_window_rel_error": max(r.window_rel_error for r in results),
        "attention_ms": sum(r.attention_ms for r in results),
        "dense_ms": sum(r.dense_ms for r in results),
    }
    print(f"summary: final skipped {summary['final_skipped']:.1%}, max rel err {summary['max_rel_error']:.2e} "
          f"(oracle {summary['max_oracle_rel_error']:.2e}, window {summary['max_window_rel_error']:.2e}), "
          f"attention {summary['attention_ms']:.1f} ms vs dense {summary['dense_ms']:.1f} ms")
    return {
        "config": {"frames": frames, "height": height, "width": width, "heads": heads, "head_dim": head_dim,
                   "steps": steps, "threshold": args.threshold, "warmup": args.warmup},
        "steps": [asdict(r) for r in results],
        "summary": summary,
    }


# ---------------------------------------------------------------------------- part 2: diffusers


class _Observed:
    """Wraps a layer's LiteAttention: times each call with CUDA events and measures its
    output against dense attention of the same inputs (outside the timed region)."""

    def __init__(self, lite: LiteAttention, device: torch.device, log: dict) -> None:
        self.lite, self.device, self.log = lite, device, log

    def __getattr__(self, name):
        return getattr(self.lite, name)

    def __call__(self, q, k, v, softmax_scale=None, return_lse=False, **kwargs):
        timer = Timer(self.device)
        with timer:
            out = self.lite(q, k, v, softmax_scale, return_lse, **kwargs)
        self.log["timers"].append(timer)
        if self.log["compare"]:
            qq, kk, vv = (x.transpose(1, 2) for x in (q, k, v)) if kwargs.get("layout") == "bhsd" else (q, k, v)
            ref, _ = _OP(qq, kk, vv, softmax_scale=softmax_scale)
            got = out[0] if return_lse else out
            got = got.transpose(1, 2) if kwargs.get("layout") == "bhsd" else got
            self.log["errors"].append((got.float() - ref.float()).norm() / ref.float().norm())
        return out


@dataclass
class DiffusersStep:
    step: int
    timestep: float
    skipped: float
    attention_rel_error: float
    latent_rel_error: float
    attention_ms: float
    transformer_ms: float
    dense_transformer_ms: float
    per_layer_skipped: list[float] = field(default_factory=list)


def localize(model, gain: float) -> None:
    """Make a random Wan model's self-attention local in space-time, like a trained one:
    q and k mostly one shared vector per layer, which RoPE rotates by position."""
    with torch.no_grad():
        for block in model.blocks:
            attn = block.attn1
            shared = torch.randn(attn.inner_dim, device=attn.to_q.weight.device, dtype=attn.to_q.weight.dtype)
            for lin in (attn.to_q, attn.to_k):
                lin.weight.mul_(0.05)
                lin.bias.copy_(shared)
            attn.norm_q.weight.fill_(gain)
            attn.norm_k.weight.fill_(gain)


def cast_like_from_pretrained(model, dtype: torch.dtype):
    """``dtype`` everywhere but in the modules the model keeps in float32, as
    ``from_pretrained(torch_dtype=dtype)`` loads it."""
    keep = set(getattr(model, "_keep_in_fp32_modules", None) or ())
    for name, tensor in [*model.named_parameters(), *model.named_buffers()]:
        if tensor.is_floating_point() and not keep.intersection(name.split(".")):
            tensor.data = tensor.data.to(dtype)
    return model


def run_diffusers(args, device: torch.device) -> dict | None:
    try:
        import diffusers
        from liteattn.integrations import diffusers as lite_diffusers
    except ImportError as e:
        print(f"\ndiffusers: skipped ({e})")
        return None
    frames, height, width, heads, head_dim, layers, text_len = args.model_size
    dtype = torch.bfloat16 if device.type == "cuda" else torch.float32
    torch.manual_seed(args.seed)
    dim = heads * head_dim
    model = diffusers.WanTransformer3DModel(
        patch_size=(1, 2, 2), num_attention_heads=heads, attention_head_dim=head_dim, in_channels=16,
        out_channels=16, text_dim=args.text_dim, freq_dim=256, ffn_dim=args.ffn_mult * dim, num_layers=layers,
        rope_max_seq_len=1024,
    )
    if args.localize > 0:
        localize(model, args.localize)
    model = model.to(device=device).eval()
    if dtype != torch.float32:
        model = cast_like_from_pretrained(model, dtype)
    gen = torch.Generator(device=device).manual_seed(args.seed)
    latent0 = torch.randn(1, 16, frames, 2 * height, 2 * width, generator=gen, device=device, dtype=dtype)
    prompt = torch.randn(1, text_len, args.text_dim, generator=gen, device=device, dtype=dtype)
    negative = torch.randn(1, text_len, args.text_dim, generator=gen, device=device, dtype=dtype)
    scheduler_config = dict(prediction_type="flow_prediction", use_flow_sigmas=True, num_train_timesteps=1000,
                            flow_shift=args.flow_shift)
    steps = args.model_steps

    def denoise(on_step=None):
        scheduler = diffusers.UniPCMultistepScheduler(**scheduler_config)
        scheduler.set_timesteps(steps, device=device)
        x, trajectory, times = latent0.clone(), [], []
        timer = Timer(device)
        with torch.inference_mode():
            for i, t in enumerate(scheduler.timesteps):
                ctx = {"step_index": i, "num_inference_steps": steps}
                with timer:
                    with model.cache_context("cond", **ctx):
                        cond = model(x, t.expand(1), prompt, return_dict=False)[0]
                    with model.cache_context("uncond", **ctx):
                        uncond = model(x, t.expand(1), negative, return_dict=False)[0]
                noise = uncond + args.guidance * (cond - uncond)
                x = scheduler.step(noise, t, x, return_dict=False)[0]
                times.append(timer.ms)
                trajectory.append(x.clone())
                if on_step is not None:
                    on_step(i, float(t))
        model._reset_stateful_cache()
        return trajectory, times, [float(t) for t in scheduler.timesteps]

    tokens = frames * height * width
    print(f"\ndiffusers: WanTransformer3DModel (random weights{', localized' if args.localize else ''}), "
          f"{layers} layers, {heads} heads x {head_dim}, {frames}x{height}x{width} = {tokens} tokens, "
          f"{steps} UniPC steps (flow shift {args.flow_shift}), CFG {args.guidance}, {dtype}, device {device}")
    with torch.inference_mode():  # library initialisation stays out of the first step's time
        model(latent0, torch.tensor([999.0], device=device), prompt, return_dict=False)
    sync(device)
    dense_traj, dense_times, timesteps = denoise()

    lites = lite_diffusers.enable(model, threshold=args.threshold, warmup_steps=args.warmup)
    log = {"timers": [], "errors": [], "compare": False}
    for module in model.modules():
        proc = getattr(module, "processor", None)
        if isinstance(proc, lite_diffusers._LiteProcessor):
            proc.lite = _Observed(proc.lite, device, log)
    attention_ms, attention_err = [], []

    def on_step(i, t):
        if log["compare"]:
            attention_err.append(torch.stack(log["errors"]).max().item())
        else:
            attention_ms.append(sum(tm.ms for tm in log["timers"]))
        log["timers"].clear()
        log["errors"].clear()

    # Timed run first; then the same generation again, measuring every attention call
    # against dense attention of its inputs (outside the timed region of the first run).
    lite_traj, lite_times, _ = denoise(on_step)
    skipped = {name: lite.history("cond") for name, lite in lites.items()}
    log["compare"] = True
    denoise(on_step)
    lite_diffusers.disable(model)

    print(f"{'step':>4} {'t':>7} {'skipped':>8} {'attn err':>9} {'latent err':>10} {'attn ms':>9} "
          f"{'step ms':>9} {'dense ms':>9}")
    results = []
    for i in range(steps):
        per_layer = [history[i] for history in skipped.values()]
        r = DiffusersStep(
            step=i, timestep=timesteps[i], skipped=sum(per_layer) / len(per_layer),
            attention_rel_error=attention_err[i], latent_rel_error=rel_error(lite_traj[i], dense_traj[i]),
            attention_ms=attention_ms[i], transformer_ms=lite_times[i], dense_transformer_ms=dense_times[i],
            per_layer_skipped=per_layer,
        )
        results.append(r)
        print(f"{i:>4} {r.timestep:>7.1f} {r.skipped:>7.1%} {r.attention_rel_error:>9.2e} "
              f"{r.latent_rel_error:>10.2e} {r.attention_ms:>9.2f} {r.transformer_ms:>9.2f} "
              f"{r.dense_transformer_ms:>9.2f}")
    summary = {
        "final_skipped": results[-1].skipped,
        "mean_skipped": sum(r.skipped for r in results) / steps,
        "max_attention_rel_error": max(r.attention_rel_error for r in results),
        "final_latent_rel_error": results[-1].latent_rel_error,
        "transformer_ms": sum(lite_times),
        "dense_transformer_ms": sum(dense_times),
    }
    print(f"summary: final skipped {summary['final_skipped']:.1%}, max attention rel err "
          f"{summary['max_attention_rel_error']:.2e}, final latent rel err {summary['final_latent_rel_error']:.2e}, "
          f"transformer {summary['transformer_ms']:.0f} ms vs dense {summary['dense_transformer_ms']:.0f} ms")
    return {
        "config": {"frames": frames, "height": height, "width": width, "heads": heads, "head_dim": head_dim,
                   "layers": layers, "text_len": text_len, "steps": steps, "threshold": args.threshold,
                   "warmup": args.warmup, "guidance": args.guidance, "flow_shift": args.flow_shift,
                   "localize": args.localize, "dtype": str(dtype), "diffusers": diffusers.__version__},
        "steps": [asdict(r) for r in results],
        "summary": summary,
    }


# ---------------------------------------------------------------------------- output


def plot(report: dict, path: Path) -> bool:
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError:
        print("plot: skipped (matplotlib is not installed: pip install 'liteattn[plot]')")
        return False
    parts = [p for p in ("synthetic", "diffusers") if report.get(p)]
    if not parts:
        return False
    fig = Figure(figsize=(11, 3.6 * len(parts)))
    FigureCanvasAgg(fig)
    for row, part in enumerate(parts):
        steps = report[part]["steps"]
        x = [s["step"] for s in steps]
        ax = fig.add_subplot(len(parts), 2, 2 * row + 1)
        ax.plot(x, [100 * s["skipped"] for s in steps], marker="o")
        ax.set_title(f"{part}: tiles skipped")
        ax.set_xlabel("step")
        ax.set_ylabel("%")
        ax = fig.add_subplot(len(parts), 2, 2 * row + 2)
        if part == "synthetic":
            series = {"LiteAttention": "rel_error", "oracle top-k": "oracle_rel_error",
                      "local window": "window_rel_error"}
        else:
            series = {"attention (max over layers)": "attention_rel_error", "latent": "latent_rel_error"}
        for label, key in series.items():
            ax.plot(x, [max(s[key], 1e-12) for s in steps], marker=".", label=label)
        ax.set_yscale("log")
        ax.set_title(f"{part}: relative error vs dense" + (" (equal sparsity)" if part == "synthetic" else ""))
        ax.set_xlabel("step")
        ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    return True


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--device", default=None, help="cuda or cpu (default: cuda when the kernels are built)")
    p.add_argument("--small", action="store_true", help="small sizes for a CPU smoke run")
    p.add_argument("--out", default="bench/out", help="directory for trajectory.json and trajectory.png")
    p.add_argument("--threshold", type=float, default=-10.0)
    p.add_argument("--warmup", type=int, default=0, help="dense warmup steps")
    p.add_argument("--steps", type=int, help="synthetic steps (30; 4 with --small)")
    p.add_argument("--model-steps", type=int, help="scheduler steps of the diffusers part (30; 3 with --small)")
    p.add_argument("--guidance", type=float, default=5.0)
    p.add_argument("--flow-shift", type=float, default=3.0)
    p.add_argument("--localize", type=float, default=7.0, help="q/k norm gain making attention local (0: off)")
    p.add_argument("--skip-synthetic", action="store_true")
    p.add_argument("--skip-diffusers", action="store_true")
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args(argv)
    cuda = torch.cuda.is_available() and liteattn.has_cuda_kernels()
    args.device = args.device or ("cuda" if cuda else "cpu")
    if args.small:
        args.synthetic_size = (4, 8, 16, 2, 64)
        args.model_size = (4, 8, 16, 2, 64, 1, 16)  # frames, h, w (tokens), heads, head dim, layers, text
        args.steps = args.steps or 4
        args.model_steps = args.model_steps or 3
        args.text_dim, args.ffn_mult = 32, 1
    else:
        args.synthetic_size = (21, 30, 52, 12, 128)  # Wan 2.1 480p, 81 frames
        args.model_size = (21, 30, 52, 12, 128, 4, 512)
        args.steps = args.steps or 30
        args.model_steps = args.model_steps or 30
        args.text_dim, args.ffn_mult = 4096, 4
    args.budget_bytes = (1 << 30) if args.device.startswith("cuda") else (1 << 27)
    return args


def main(argv=None) -> dict:
    args = parse_args(argv)
    device = torch.device(args.device)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    report = {"device": str(device), "torch": torch.__version__, "liteattn": liteattn.__version__}
    if device.type == "cuda":
        report["gpu"] = torch.cuda.get_device_name(device)
    with torch.inference_mode():
        report["synthetic"] = None if args.skip_synthetic else run_synthetic(args, device)
    report["diffusers"] = None if args.skip_diffusers else run_diffusers(args, device)
    (out / "trajectory.json").write_text(json.dumps(report, indent=2))
    plotted = plot(report, out / "trajectory.png")
    print(f"\nwrote {out / 'trajectory.json'}" + (f" and {out / 'trajectory.png'}" if plotted else ""))
    return report


if __name__ == "__main__":
    main()
