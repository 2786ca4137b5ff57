"""``python -m liteattn demo``: LiteAttention over a simulated denoising trajectory.

The inputs imitate a video DiT's self-attention: tokens on a (frames, height, width) grid,
q and k built from smooth positional features (random Fourier features of the grid
position, so attention is local in space-time) plus noise, with the noise interpolating
slowly from step to step and the attention sharpening as "denoising" proceeds. One
LiteAttention layer runs over the steps; every step is compared with dense attention of
the same inputs. On a Hopper GPU with the compiled kernels it runs a video-size grid; on
the CPU it runs the reference at a small size (well under a minute on two cores).
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from dataclasses import dataclass

import torch

from .attention import LiteAttention
from .ops import has_cuda_kernels

# Default sizes: (frames, height, width, heads, head_dim, steps).
CPU_SIZE = (8, 16, 16, 4, 64, 12)
GPU_SIZE = (21, 30, 52, 12, 128, 30)  # Wan 2.1 480p, 81 frames, after 1x2x2 patching


class VideoTrajectory:
    """q, k, v ``[batch, frames*height*width, heads, head_dim]`` for each denoising step.

    Each head attends through a Gaussian-like kernel of space-time distance with its own
    length scale; ``noise`` is the share of unstructured signal in q and k, ``drift`` how
    far (in quarter turns) the noise rotates between the first and last step, and the
    attention logits grow from ``sharpness[0]`` to ``sharpness[1]`` nats over the steps.
    """

    def __init__(
        self,
        frames: int,
        height: int,
        width: int,
        heads: int,
        head_dim: int,
        steps: int,
        *,
        batch: int = 1,
        seed: int = 0,
        device: str | torch.device = "cpu",
        dtype: torch.dtype = torch.bfloat16,
        sharpness: tuple[float, float] = (12.5, 72.0),
        noise: float = 0.3,
        drift: float = 0.2,
        bandwidth: float = 0.7,
    ) -> None:
        self.shape = (batch, frames * height * width, heads, head_dim)
        self.steps = steps
        self.dtype = dtype
        self.sharpness = sharpness
        self.noise = noise
        self.drift = drift
        device = torch.device(device)
        gen = torch.Generator(device=device).manual_seed(seed)

        def randn(*size):
            return torch.randn(*size, generator=gen, device=device)

        f, y, x = torch.meshgrid(
            *(torch.arange(n, device=device, dtype=torch.float32) for n in (frames, height, width)), indexing="ij"
        )
        pos = torch.stack([f, y, x], dim=-1).reshape(-1, 3)
        half = head_dim // 2
        length_scale = torch.exp(torch.rand(heads, 1, generator=gen, device=device) - 0.5) * bandwidth
        omega = randn(heads, 3, half) * length_scale[:, :, None]
        phase = torch.rand(heads, half, generator=gen, device=device) * (2 * math.pi)
        angle = torch.einsum("sc,hcd->shd", pos, omega) + phase
        # Unit-norm features: phi(p) . phi(p') approximates a Gaussian of |p - p'|.
        self._phi = (torch.cat([angle.cos(), angle.sin()], dim=-1) / math.sqrt(half)).expand(batch, -1, -1, -1)
        self._noise = [randn(*self.shape) / math.sqrt(head_dim) for _ in range(6)]

    def __call__(self, step: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        s = step / max(self.steps - 1, 1)
        lo, hi = self.sharpness
        # scale * q.k = amplitude^2 * phi.phi' / sqrt(D): logits of up to lo..hi nats.
        amplitude = math.sqrt((lo + (hi - lo) * s) * math.sqrt(self.shape[-1]))
        turn = self.drift * s * math.pi / 2
        c, sn = math.cos(turn), math.sin(turn)
        n = self._noise
        q = amplitude * (self._phi + self.noise * (c * n[0] + sn * n[1]))
        k = amplitude * (self._phi + self.noise * (c * n[2] + sn * n[3]))
        v = (c * n[4] + sn * n[5]) * math.sqrt(self.shape[-1])
        return q.to(self.dtype), k.to(self.dtype), v.to(self.dtype)


@dataclass
class StepResult:
    step: int
    skipped: float
    rel_error: float
    time_ms: float
    dense_ms: float


class Timer:
    """Milliseconds of a block: CUDA events on a GPU, the wall clock on the CPU.

    On a GPU, ``ms`` waits for the block's work when it is read, not when the block ends,
    so timers kept and read after a whole step (bench/trajectory.py) add no sync inside it.
    """

    def __init__(self, device: torch.device) -> None:
        self.cuda = device.type == "cuda"

    def __enter__(self):
        if self.cuda:
            self._start = torch.cuda.Event(enable_timing=True)
            self._end = torch.cuda.Event(enable_timing=True)
            self._start.record()
        else:
            self._t0 = time.perf_counter()
        return self

    def __exit__(self, *exc) -> None:
        if self.cuda:
            self._end.record()
        else:
            self._wall_ms = (time.perf_counter() - self._t0) * 1e3

    @property
    def ms(self) -> float:
        if self.cuda:
            self._end.synchronize()
            return self._start.elapsed_time(self._end)
        return self._wall_ms


class _Progress:
    """A one-line progress bar on stderr."""

    def __init__(self, total: int, width: int = 30, stream=None) -> None:
        self.total, self.width = total, width
        self.stream = sys.stderr if stream is None else stream
        self.t0 = time.perf_counter()

    def clear(self) -> None:
        """Erase the bar on a terminal so a table row can take the line."""
        if self.stream.isatty():
            self.stream.write("\r\x1b[K")
            self.stream.flush()

    def update(self, done: int, note: str = "") -> None:
        filled = int(self.width * done / max(self.total, 1))
        elapsed = time.perf_counter() - self.t0
        bar = "#" * filled + "-" * (self.width - filled)
        line = f"[{bar}] {done}/{self.total} {elapsed:5.1f}s {note}"
        if self.stream.isatty():
            self.stream.write("\r" + line + ("\n" if done >= self.total else ""))
        else:
            # A log gets whole lines, so stdout's table rows never land mid-bar.
            self.stream.write(line + "\n")
        self.stream.flush()


def default_device() -> str:
    """cuda on a Hopper GPU (compute capability 9.0, what the kernels need) with the
    kernels built, else cpu: the reference, which runs anywhere."""
    on_hopper = torch.cuda.is_available() and torch.cuda.get_device_capability() == (9, 0)
    return "cuda" if on_hopper and has_cuda_kernels() else "cpu"


def run_demo(args: argparse.Namespace, out=None) -> list[StepResult]:
    out = sys.stdout if out is None else out
    device = torch.device(args.device or default_device())
    defaults = GPU_SIZE if device.type == "cuda" else CPU_SIZE
    frames, height, width, heads, head_dim, steps = (
        given if given is not None else default
        for given, default in zip(
            (args.frames, args.height, args.width, args.heads, args.head_dim, args.steps), defaults
        )
    )
    traj = VideoTrajectory(frames, height, width, heads, head_dim, steps, seed=args.seed, device=device)
    lite = LiteAttention(args.threshold, name="demo")
    tokens = frames * height * width
    print(
        f"liteattn demo: {frames}x{height}x{width} = {tokens} tokens, {heads} heads, head dim {head_dim}, "
        f"{steps} steps, threshold {args.threshold}, device {device}"
        f" ({'GPU kernel' if device.type == 'cuda' else 'CPU reference'})",
        file=out,
    )
    print(f"{'step':>4}  {'skipped':>8}  {'rel err':>9}  {'time ms':>9}  {'dense ms':>9}", file=out)
    if device.type == "cuda":
        # Module loading and first-launch setup stay out of step 0's time.
        warm_q, warm_k, warm_v = traj(0)
        LiteAttention(args.threshold)(warm_q, warm_k, warm_v)
        torch.cuda.synchronize(device)
    timer = Timer(device)
    progress = _Progress(steps)
    results = []
    for step in range(steps):
        q, k, v = traj(step)
        with timer:
            sparse = lite(q, k, v)
        sparse_ms = timer.ms
        with timer:
            dense, _ = torch.ops.liteattn.forward(q, k, v)
        dense_ms = timer.ms
        err = float((sparse.float() - dense.float()).norm() / dense.float().norm())
        r = StepResult(step, lite.skipped_fraction(), err, sparse_ms, dense_ms)
        results.append(r)
        progress.clear()
        print(f"{step:>4}  {r.skipped:>7.1%}  {err:>9.2e}  {sparse_ms:>9.2f}  {dense_ms:>9.2f}", file=out, flush=True)
        progress.update(step + 1, f"skipped {r.skipped:.1%}")
    mean_skipped = sum(r.skipped for r in results) / len(results)
    total_ms = sum(r.time_ms for r in results)
    dense_total = sum(r.dense_ms for r in results)
    print(
        f"summary: {steps} steps, final skipped {results[-1].skipped:.1%}, mean skipped {mean_skipped:.1%}, "
        f"max rel err {max(r.rel_error for r in results):.2e}, attention {total_ms:.1f} ms vs dense "
        f"{dense_total:.1f} ms ({dense_total / max(total_ms, 1e-9):.2f}x"
        f"{'' if device.type == 'cuda' else '; CPU reference, not the kernel'})",
        file=out,
    )
    return results


def _number(parse, text: str, accepted, expected: str):
    """``parse(text)`` if it parses and is ``accepted``, else an argparse error saying
    what was ``expected`` (argparse prefixes the argument's name)."""
    try:
        value = parse(text)
    except ValueError:
        value = None
    if value is None or not accepted(value):
        raise argparse.ArgumentTypeError(f"expected {expected}, got {text!r}")
    return value


def _positive_int(text: str) -> int:
    return _number(int, text, lambda n: n >= 1, "an integer >= 1")


def _threshold(text: str) -> float:
    # One comparison rejects nan, zero, positive values and +inf, as the op does.
    return _number(float, text, lambda t: t < 0,
                   "a finite negative float or -inf (log2 of a probability ratio)")


def _seed(text: str) -> int:
    # The range torch.Generator.manual_seed takes.
    return _number(int, text, lambda n: -(2**63) <= n < 2**64, "an integer in [-2**63, 2**64 - 1]")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m liteattn", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    demo = commands.add_parser("demo", help="LiteAttention over a simulated denoising trajectory")
    demo.add_argument("--steps", type=_positive_int, help="denoising steps (12 on CPU, 30 on GPU)")
    demo.add_argument("--threshold", type=_threshold, default=-10.0, help="log2 probability ratio (default -10)")
    demo.add_argument("--frames", type=_positive_int, help="latent frames (8 on CPU, 21 on GPU)")
    demo.add_argument("--height", type=_positive_int, help="token rows per frame (16 on CPU, 30 on GPU)")
    demo.add_argument("--width", type=_positive_int, help="token columns per frame (16 on CPU, 52 on GPU)")
    demo.add_argument("--heads", type=_positive_int, help="attention heads (4 on CPU, 12 on GPU)")
    demo.add_argument("--head-dim", type=int, choices=(64, 128), help="64 on CPU, 128 on GPU")
    demo.add_argument("--device", help="cpu or cuda (default: cuda on a Hopper GPU with the kernels built)")
    demo.add_argument("--seed", type=_seed, default=0)
    return parser


def main(argv: list[str] | None = None, out=None) -> list[StepResult]:
    args = _parser().parse_args(argv)
    with torch.inference_mode():
        return run_demo(args, out=out)


if __name__ == "__main__":
    main()
