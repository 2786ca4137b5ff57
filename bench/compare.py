#!/usr/bin/env python3
"""liteattn against its peers on one GPU: torch SDPA (cuDNN and flash backends) and
FlexAttention, side by side, on the same inputs.

Sections (``--sections``, all by default):
  dense     TFLOP/s of every backend per shape, and liteattn's ratio to cuDNN
  overhead  liteattn alone with nothing skipped: no mask, an all-zero skip_in, a skip_out
            (the cost of writing decisions) and both
  sparse    liteattn with skip_in, with skip_in + skip_out, and FlexAttention with the
            same tile mask: time, skip efficiency f * t(dense) / t(f) (target >= 0.95 for
            f >= 0.25) and the speedup over Flex (target >= 1.5x)

Method: each timed call has its own CUDA event pair; warm-up calls first, then the
median of up to --repeats calls (at least 5; --max-seconds bounds the timed calls of each
backend and configuration, the settling runs come on top),
in --blocks blocks per backend that take turns with the other backends of the same table
row, each block after a --settle-seconds untimed run of its kernel (time_together says
why); the sparse rows' t(nothing skipped) is timed in the same rotation as their masked
calls. Inputs are
fresh random tensors rotated over enough sets that one lap exceeds twice the L2 size, so
every call reads q/k/v from HBM. Every backend gets its native layout, copied outside the
timed region: liteattn [B, S, H, D], SDPA and Flex [B, H, S, D]. Before timing, every
backend's output is compared with cuDNN's and with a float32 reference on two heads, so a
fast but wrong result shows.

The sparse masks are one bool tensor of kept (query tile, key tile) pairs per
configuration, in liteattn's tile shape: liteattn gets it packed with
liteattn.skipmask.tiles_to_words (bit 1 = skip), Flex as a BlockMask listing the kept
tiles. Patterns: random (each tile kept with probability f) and skewed (half the query
tiles, chosen at random per head, keep 9x as many key tiles as the other half, mean f;
90% / 10% at f = 0.5).

  python bench/compare.py                       # everything, default shapes
  python bench/compare.py --quick               # a smaller sweep for a sanity run
  python bench/compare.py --json out.json --md bench/RESULTS.md
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import functools
import json
import math
import shlex
import statistics
import sys
import time
from dataclasses import asdict, dataclass, field
from typing import Callable, NamedTuple, Optional

import torch
import torch._dynamo
import torch.nn.functional as F


class Shape(NamedTuple):
    batch: int
    heads: int
    seqlen: int
    head_dim: int

    def label(self) -> str:
        return f"{self.batch}x{self.heads}x{self.seqlen}x{self.head_dim}"


DEFAULT_SHAPES = [
    Shape(1, 16, 16384, 128),
    Shape(1, 40, 32760, 128),  # Wan 2.1 480p
    Shape(1, 48, 17776, 64),  # CogVideoX
    Shape(1, 40, 75600, 128),  # Wan 2.1 720p
]
DEFAULT_SPARSE_SHAPES = [Shape(1, 40, 32760, 128), Shape(1, 48, 17776, 64)]
DEFAULT_KEEPS = [1.0, 0.75, 0.5, 0.25, 0.1]
DEFAULT_MASKS = ["random", "skewed"]
SECTIONS = ("dense", "overhead", "sparse")

# Relative L2 error above which a result is flagged: bf16 attention over random inputs
# lands near 4e-3 against float32, so this is an order of magnitude of headroom.
SUSPECT_ERROR = 2e-2
UNAVAILABLE = "unavailable, see above"
CHECK_HEADS_NOTE = "float32 reference on batch 0, heads 0 and H-1"

DTYPES = {"bf16": torch.bfloat16, "fp16": torch.float16}


# ---------------------------------------------------------------------------------
# Options


def parse_shapes(text: str) -> list[Shape]:
    shapes = []
    for item in text.split(","):
        item = item.strip()
        if not item:
            continue
        dims = item.lower().split("x")
        if len(dims) != 4 or not all(d.isdigit() and int(d) > 0 for d in dims):
            raise argparse.ArgumentTypeError(f"shape {item!r}: expected BxHxSxD, e.g. 1x40x32760x128")
        shapes.append(Shape(*map(int, dims)))
    if not shapes:
        raise argparse.ArgumentTypeError("no shapes given")
    return shapes


def parse_keeps(text: str) -> list[float]:
    keeps = []
    for item in text.split(","):
        try:
            f = float(item)
        except ValueError:
            raise argparse.ArgumentTypeError(f"--keep: {item!r} is not a number") from None
        if not 0.0 <= f <= 1.0:
            raise argparse.ArgumentTypeError(f"--keep: fractions must be in [0, 1], got {f}")
        keeps.append(f)
    return keeps


def parse_choices(option: str, allowed) -> Callable[[str], list[str]]:
    """A parser for a comma-separated subset of `allowed`, naming `option` in errors."""
    def parse(text: str) -> list[str]:
        chosen = [c for c in text.split(",") if c]
        for c in chosen:
            if c not in allowed:
                raise argparse.ArgumentTypeError(f"{option}: expected some of {tuple(allowed)}, got {c!r}")
        return chosen
    return parse


parse_masks = parse_choices("--mask", DEFAULT_MASKS)
parse_sections = parse_choices("--sections", SECTIONS)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        description="Time liteattn against torch SDPA (cuDNN, flash) and FlexAttention.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=__doc__.split("\n\n", 1)[1],
    )
    p.add_argument("--shapes", type=parse_shapes, default=None,
                   help="dense/overhead shapes BxHxSxD,... (default: "
                   + ",".join(s.label() for s in DEFAULT_SHAPES) + ")")
    p.add_argument("--sparse-shapes", type=parse_shapes, default=None,
                   help="sparse-section shapes (default: "
                   + ",".join(s.label() for s in DEFAULT_SPARSE_SHAPES) + ")")
    p.add_argument("--dtype", choices=sorted(DTYPES), default="bf16")
    p.add_argument("--keep", type=parse_keeps, default=None,
                   help="kept tile fractions (default: 1,0.75,0.5,0.25,0.1)")
    p.add_argument("--mask", type=parse_masks, default=None,
                   help="mask patterns: random,skewed (default: both)")
    p.add_argument("--sections", type=parse_sections, default=list(SECTIONS),
                   help="comma-separated subset of dense,overhead,sparse")
    p.add_argument("--threshold", type=float, default=-10.0,
                   help="decision threshold passed to liteattn (log2 units, default -10)")
    p.add_argument("--repeats", type=int, default=None, help="timed calls per configuration (default 40)")
    p.add_argument("--warmup", type=int, default=None, help="untimed calls first (default 5)")
    p.add_argument("--settle-seconds", type=float, default=0.15,
                   help="untimed back-to-back run before each timed block (default 0.15)")
    p.add_argument("--condition-seconds", type=float, default=0.1,
                   help="seconds of bf16 GEMMs before every timed block, so that every "
                        "block starts from the same load (default 0.1; 0: none)")
    p.add_argument("--blocks", type=int, default=None,
                   help="timed blocks per backend, taking turns with the others (default 10,"
                        " --quick 4; 2 x the number of backends puts every backend at every"
                        " place)")
    p.add_argument("--max-seconds", type=float, default=None,
                   help="bound on timed seconds per configuration (default 20; at least 5 calls)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--skip-flex", action="store_true", help="leave FlexAttention out")
    p.add_argument("--flex-autotune", action="store_true",
                   help='compile Flex with mode="max-autotune-no-cudagraphs" (slow to compile)')
    p.add_argument("--no-check", action="store_true", help="skip the correctness checks")
    p.add_argument("--quick", action="store_true",
                   help="smaller sweep: 2 dense shapes, Wan 480p sparse, keep 1,0.5,0.25, "
                   "random masks, 10 repeats (explicit options still win)")
    p.add_argument("--device", default="cuda",
                   help="torch device (default cuda; cpu runs a slow smoke test of the script)")
    p.add_argument("--json", metavar="PATH", help="write every result as JSON")
    p.add_argument("--md", metavar="PATH", help="append markdown tables (e.g. bench/RESULTS.md)")
    return p


def resolve_options(args: argparse.Namespace) -> argparse.Namespace:
    """Fill what the user left unset, from --quick or the defaults."""
    quick = args.quick
    if args.shapes is None:
        args.shapes = DEFAULT_SHAPES[:2] if quick else list(DEFAULT_SHAPES)
    if args.sparse_shapes is None:
        args.sparse_shapes = DEFAULT_SPARSE_SHAPES[:1] if quick else list(DEFAULT_SPARSE_SHAPES)
    if args.keep is None:
        args.keep = [1.0, 0.5, 0.25] if quick else list(DEFAULT_KEEPS)
    if args.mask is None:
        args.mask = ["random"] if quick else list(DEFAULT_MASKS)
    if args.repeats is None:
        args.repeats = 12 if quick else 40
    if args.blocks is None:
        args.blocks = 4 if quick else 10
    if args.warmup is None:
        args.warmup = 2 if quick else 5
    if args.max_seconds is None:
        args.max_seconds = 5.0 if quick else 20.0
    if args.repeats < 1 or args.warmup < 0 or args.max_seconds <= 0:
        raise SystemExit("--repeats must be >= 1, --warmup >= 0 and --max-seconds > 0")
    if args.blocks < 1 or args.settle_seconds < 0 or args.condition_seconds < 0:
        raise SystemExit("--blocks must be >= 1, --settle-seconds and --condition-seconds >= 0")
    return args


# ---------------------------------------------------------------------------------
# Timing


@dataclass
class Timing:
    median_ms: float
    min_ms: float
    max_ms: float
    times_ms: list[float]
    # Each timed block's median, in block order: how far apart they lie shows how much the
    # board's state moved a runner between its places in the rotation (time_together).
    block_medians_ms: list[float] = field(default_factory=list)


@dataclass
class Measured:
    """One backend on one configuration: a timing or the reason there is none."""

    timing: Optional[Timing] = None
    error: Optional[str] = None

    @property
    def ms(self) -> Optional[float]:
        return self.timing.median_ms if self.timing else None


def _elapsed_ms(device: torch.device, call: Callable[[], object]) -> Callable[[], float]:
    """Start `call` and return a function that gives its time once the device is idle."""
    if device.type == "cuda":
        start = torch.cuda.Event(enable_timing=True)
        end = torch.cuda.Event(enable_timing=True)
        start.record()
        call()
        end.record()
        return lambda: start.elapsed_time(end)
    t0 = time.perf_counter()
    call()
    t = (time.perf_counter() - t0) * 1e3
    return lambda: t


def synchronize(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def warm_up_and_probe(runner: "Runner", n_sets: int, opts, device: torch.device) -> float:
    """--warmup untimed calls, then one timed call: its ms. Raises what the runner raises."""
    with runner.context():
        for i in range(opts.warmup):
            runner.call(i % n_sets)
        synchronize(device)
        probe = _elapsed_ms(device, lambda: runner.call(opts.warmup % n_sets))
        synchronize(device)
    return probe()


@functools.lru_cache(maxsize=None)
def gemm_conditioner(device: torch.device, seconds: float) -> Optional[Callable[[], None]]:
    """The same heavy load before every timed block: bf16 8192^3 GEMMs for `seconds`
    (none on the CPU or for 0 s). See time_together for why. Made once per device and
    length (its operands and its sizing GEMM), not once per table row."""
    if device.type != "cuda" or seconds <= 0:
        return None
    a = torch.randn(8192, 8192, device=device, dtype=torch.bfloat16)
    b = torch.randn(8192, 8192, device=device, dtype=torch.bfloat16)
    out = torch.empty_like(a)
    start, stop = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    start.record()
    torch.matmul(a, b, out=out)
    stop.record()
    stop.synchronize()
    calls = max(1, math.ceil(seconds * 1e3 / max(start.elapsed_time(stop), 1e-3)))

    def condition():
        for _ in range(calls):
            torch.matmul(a, b, out=out)

    return condition


def block_order(runners: list, block: int) -> list:
    """The order of the runners in timed block `block`: rotated by block // 2, reversed
    on odd blocks (blocks 0 and 1: as given, then reversed)."""
    if not runners:
        return []
    shift = (block // 2) % len(runners)
    order = runners[shift:] + runners[:shift]
    return order if block % 2 == 0 else order[::-1]


def time_together(runners: list["Runner"], n_sets: int, opts, device: torch.device,
                  condition: Optional[Callable[[], None]] = None) -> dict[str, Measured]:
    """Median per runner, timed in blocks that take turns: r0, r1, ..., r0, r1, ...

    Why blocks, and why each starts with a settling run: the lent H200's clock follows
    the power drawn over the last ~0.1 s. A kernel timed right after a lighter one runs
    up to 15% faster than in steady state (liteattn's dense Wan 480p call: 29.3 ms right
    after Flex, 34.0 ms back to back), and a kernel timed back to back steps down once
    the board heats (1.79 -> 1.96 ms mid-run, round 11). So every block first runs its
    kernel untimed for --settle-seconds, then times its calls back to back (the steady
    state a model's denoising loop sees), and the blocks of the runners alternate, so a
    slow drift of the board lands on all of them alike. The settling run does not undo
    a longer history: in round 14 the runner timed right after several seconds of a slow,
    light kernel (Flex on 128x128 blocks at D=64) still read 3-4% fast, so odd blocks
    take the runners in reverse order. That still leaves each runner after the same one or
    two others, and in rounds 30-32 (seventh session) the Wan 480p keep-0.1 row timed
    with decisions read 1-3.5% faster than the same row without, which does less work:
    so every block also starts with the same heavy load, `condition` (by default
    --condition-seconds of bf16 GEMMs, gemm_conditioner), before its settling run. Even
    so, with 2 blocks (rounds 33-34) one runner's two block medians differed by up to 10%
    (Wan 480p keep 0.1 without decisions: 4.17 ms in block 0, where it ran first, 3.73 ms
    in block 1), so a row's median hung on two samples of the board's state: hence 10
    blocks by default (every runner at every place in a row of 5), with shorter
    conditioning and settling to pay for them, and each timing keeps its block medians
    (Timing.block_medians_ms) so that the spread shows. A runner that raises is reported
    and left out of the rotation."""
    results: dict[str, Measured] = {}
    live, plan = [], {}  # plan: runner name -> (timed calls, settling calls per block)
    for runner in runners:
        try:
            # The probe call sizes the run so that a slow configuration stays in budget.
            ms = max(warm_up_and_probe(runner, n_sets, opts, device), 1e-3)
            n = min(opts.repeats, max(5, int(opts.max_seconds * 1e3 / ms)))
            settle = math.ceil(opts.settle_seconds * 1e3 / ms) if device.type == "cuda" else 0
            plan[runner.name] = (n, settle)
            live.append(runner)
        except Exception as error:
            results[runner.name] = Measured(error=describe(error))
            if device.type == "cuda":
                torch.cuda.empty_cache()
    if condition is None:
        condition = gemm_conditioner(device, getattr(opts, "condition_seconds", 0.0))
    blocks = opts.blocks
    # Timed calls per runner, one list per block that timed any.
    blocks_of: dict[str, list[list[float]]] = {r.name: [] for r in live}
    # Calls made so far per runner: the input set index keeps rotating across blocks.
    made = {r.name: opts.warmup + 1 for r in live}
    for block in range(blocks):
        # Odd blocks take the runners in reverse order, so that on average every runner
        # sits at the same place after the others (see the docstring); each further pair
        # of blocks starts one runner later, so with 2 x (runners) blocks every runner
        # takes every place, forwards and backwards.
        for runner in block_order(live, block):
            n, settle = plan[runner.name]
            n_block = n // blocks + (1 if block < n % blocks else 0)  # the blocks sum to n
            first = made[runner.name]
            made[runner.name] += settle + n_block
            try:
                if condition is not None:
                    condition()
                with runner.context():
                    for i in range(first, first + settle):
                        runner.call(i % n_sets)
                    pending = [_elapsed_ms(device, lambda r=runner, i=i: r.call(i % n_sets))
                               for i in range(first + settle, first + settle + n_block)]
                    synchronize(device)
                if pending:
                    blocks_of[runner.name].append([p() for p in pending])
            except Exception as error:
                results[runner.name] = Measured(error=describe(error))
                live.remove(runner)
    for runner in live:
        t = [ms for block_times in blocks_of[runner.name] for ms in block_times]
        medians = [statistics.median(block_times) for block_times in blocks_of[runner.name]]
        results[runner.name] = Measured(timing=Timing(statistics.median(t), min(t), max(t), t,
                                                      medians))
    return results


def keep_competitive(runners: list["Runner"], n_sets: int, opts, device: torch.device,
                     within: float = 1.5) -> tuple[list["Runner"], dict[str, float]]:
    """Of several runners computing the same thing (Flex's encodings of one mask), those
    worth timing: each is warmed up and probed with one call, and those within `within`
    times the fastest probe stay. One that is several times slower cannot be the faster,
    and timing it costs more than its own seconds: Flex on 128-row blocks at D = 64 is
    ~10x slower than on our blocks, and the runner timed after seconds of such a light
    kernel reads fast (time_together), which in rounds 27-28 (sixth session) was the
    sparse rows' t(nothing skipped) in even blocks and Flex's other encoding in odd ones.
    Returns the runners kept and {name: probe ms} of those left out. A runner that raises
    here is kept, so that time_together reports its error."""
    if len(runners) < 2:
        return runners, {}
    probes: dict[str, Optional[float]] = {}
    for runner in runners:
        try:
            probes[runner.name] = warm_up_and_probe(runner, n_sets, opts, device)
        except Exception:
            probes[runner.name] = None
            if device.type == "cuda":
                torch.cuda.empty_cache()
    timed = [ms for ms in probes.values() if ms is not None]
    if not timed:
        return runners, {}
    limit = within * min(timed)
    kept = [r for r in runners if probes[r.name] is None or probes[r.name] <= limit]
    return kept, {r.name: probes[r.name] for r in runners if r not in kept}


def describe(error: BaseException) -> str:
    text = " ".join(str(error).split())
    return f"{type(error).__name__}: {text[:160]}"


# ---------------------------------------------------------------------------------
# Inputs


class InputSets:
    """Random q/k/v, in liteattn's layout [B, S, H, D] and the peers' [B, H, S, D]."""

    def __init__(self, shape: Shape, dtype: torch.dtype, device: torch.device, seed: int):
        b, h, s, d = shape
        set_bytes = 3 * b * s * h * d * torch.finfo(dtype).bits // 8
        l2 = l2_bytes(device)
        self.count = max(2, math.ceil(2 * l2 / set_bytes))
        gen = torch.Generator(device=device)
        gen.manual_seed(seed)
        self.bshd: list[tuple[torch.Tensor, ...]] = []
        self.bhsd: list[tuple[torch.Tensor, ...]] = []
        for _ in range(self.count):
            qkv = tuple(
                torch.randn(b, s, h, d, generator=gen, device=device, dtype=dtype) for _ in range(3)
            )
            self.bshd.append(qkv)
            self.bhsd.append(tuple(t.transpose(1, 2).contiguous() for t in qkv))


def l2_bytes(device: torch.device) -> int:
    if device.type != "cuda":
        return 0
    props = torch.cuda.get_device_properties(device)
    return int(getattr(props, "L2_cache_size", 50 * 2**20))


# ---------------------------------------------------------------------------------
# Masks


def make_keep_tiles(pattern: str, keep: float, batch: int, heads: int, tiles_m: int,
                    tiles_n: int, seed: int) -> torch.Tensor:
    """bool [B, H, Tm, Tn], True = tile computed; built on the CPU for reproducibility."""
    gen = torch.Generator().manual_seed(seed)
    if pattern == "random":
        prob = torch.full((batch, heads, tiles_m, 1), keep)
    else:
        heavy = min(1.0, 1.8 * keep)
        light = 2.0 * keep - heavy
        rank = torch.rand(batch, heads, tiles_m, generator=gen).argsort(-1).argsort(-1)
        prob = torch.where(rank < tiles_m // 2, heavy, light).unsqueeze(-1)
    return torch.rand(batch, heads, tiles_m, tiles_n, generator=gen) < prob


def kept_fraction(keep_tiles: torch.Tensor, seqlen_q: int, seqlen_k: int,
                  tile: tuple[int, int]) -> float:
    """Share of the Sq x Sk scores inside kept tiles (tail tiles count their valid part)."""
    bm, bn = tile
    rows = torch.full((keep_tiles.shape[-2],), float(bm))
    rows[-1] = seqlen_q - bm * (keep_tiles.shape[-2] - 1)
    cols = torch.full((keep_tiles.shape[-1],), float(bn))
    cols[-1] = seqlen_k - bn * (keep_tiles.shape[-1] - 1)
    kept = (keep_tiles.cpu().double() * rows[:, None].double() * cols[None, :].double()).sum()
    return float(kept) / (keep_tiles.shape[0] * keep_tiles.shape[1] * seqlen_q * seqlen_k)


def liteattn_words(liteattn, keep_tiles: torch.Tensor) -> torch.Tensor:
    """The skip_in words of DESIGN.md section 3; checked by unpacking them again."""
    skip = ~keep_tiles
    words = liteattn.skipmask.tiles_to_words(skip).contiguous()
    back = liteattn.skipmask.words_to_tiles(words, skip.shape[-1])
    if not torch.equal(back, skip):
        raise RuntimeError("liteattn.skipmask.tiles_to_words/words_to_tiles do not round-trip")
    return words


def kv_block_listing(blocks: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Flex's (num_blocks, indices) for a bool [..., rows, key blocks] view: the set block
    indices first, in ascending order; the tail past num_blocks is ignored."""
    counts = blocks.sum(-1, dtype=torch.int32)
    indices = torch.argsort((~blocks).to(torch.int8), dim=-1, stable=True).to(torch.int32)
    return counts, indices


def flex_block_mask(keep_tiles: torch.Tensor, seqlen_q: int, seqlen_k: int,
                    tile: tuple[int, int]):
    """A Flex BlockMask listing exactly the kept tiles, all as full blocks (no mask_mod)."""
    from torch.nn.attention.flex_attention import BlockMask

    counts, indices = kv_block_listing(keep_tiles)
    partial_counts = torch.zeros_like(counts)
    partial_indices = torch.zeros_like(indices)
    kwargs = dict(full_kv_num_blocks=counts, full_kv_indices=indices, BLOCK_SIZE=tile)
    try:
        return BlockMask.from_kv_blocks(partial_counts, partial_indices,
                                        seq_lengths=(seqlen_q, seqlen_k), **kwargs)
    except TypeError:  # torch without seq_lengths: the mask covers whole tiles, crop it
        mask = BlockMask.from_kv_blocks(partial_counts, partial_indices, **kwargs)
        return mask._adjust(seqlen_q, seqlen_k)


def flex_block_mask_regridded(keep_tiles: torch.Tensor, seqlen_q: int, seqlen_k: int,
                              tile: tuple[int, int], block_m: int):
    """The same token-level mask on Flex blocks of `block_m` query rows (same key tiles):
    a Flex block whose rows all lie in kept tiles is full, one whose rows straddle a kept
    and a skipped tile is partial (a mask_mod looks the tile up), the rest are absent."""
    from torch.nn.attention.flex_attention import BlockMask

    tile_m, tile_n = tile
    if tile_m < block_m:
        raise ValueError(f"regridding needs tile rows >= block rows, got {tile_m} < {block_m}")
    rows = -(-seqlen_q // block_m)
    first = torch.arange(rows, device=keep_tiles.device) * block_m
    last = torch.clamp(first + block_m - 1, max=seqlen_q - 1)
    keep_first = keep_tiles[..., first // tile_m, :]
    keep_last = keep_tiles[..., last // tile_m, :]
    full = keep_first & keep_last
    partial = keep_first ^ keep_last

    keep_lookup = keep_tiles.contiguous()

    def mask_mod(b, h, q_idx, kv_idx):
        return keep_lookup[b, h, q_idx // tile_m, kv_idx // tile_n]

    partial_counts, partial_indices = kv_block_listing(partial)
    full_counts, full_indices = kv_block_listing(full)
    return BlockMask.from_kv_blocks(partial_counts, partial_indices, full_counts, full_indices,
                                    BLOCK_SIZE=(block_m, tile_n), mask_mod=mask_mod,
                                    seq_lengths=(seqlen_q, seqlen_k))


# ---------------------------------------------------------------------------------
# Backends


class Runner(NamedTuple):
    """A backend bound to input sets: call(i) runs it on set i and returns its output."""

    name: str
    call: Callable[[int], torch.Tensor]
    layout: str  # "bshd" or "bhsd": how to read heads out of the output
    context: Callable[[], contextlib.AbstractContextManager] = contextlib.nullcontext


def liteattn_runner(name, inputs: InputSets, skip_in=None, skip_out=None, threshold=-10.0):
    def call(i):
        q, k, v = inputs.bshd[i]
        return torch.ops.liteattn.forward(q, k, v, skip_in, skip_out, threshold, None, None)[0]

    return Runner(name, call, "bshd")


def sdpa_runner(name, inputs: InputSets, backend):
    from torch.nn.attention import sdpa_kernel

    def call(i):
        return F.scaled_dot_product_attention(*inputs.bhsd[i])

    return Runner(name, call, "bhsd", lambda: sdpa_kernel(backend))


_FLEX = {}


def flex_compiled(autotune: bool):
    if autotune not in _FLEX:
        from torch.nn.attention.flex_attention import flex_attention

        mode = "max-autotune-no-cudagraphs" if autotune else None
        _FLEX[autotune] = torch.compile(flex_attention, dynamic=False, mode=mode)
    return _FLEX[autotune]


def flex_runner(name, inputs: InputSets, block_mask, autotune: bool, kernel_options=None):
    flex = flex_compiled(autotune)

    def call(i):
        return flex(*inputs.bhsd[i], block_mask=block_mask, kernel_options=kernel_options)

    return Runner(name, call, "bhsd")


def heads_of(out: torch.Tensor, layout: str, heads: list[int]) -> torch.Tensor:
    """float32 [len(heads), S, D] of batch 0."""
    if layout == "bshd":
        return out[0, :, heads].transpose(0, 1).float()
    return out[0, heads].float()


def as_bhsd(out: torch.Tensor, layout: str) -> torch.Tensor:
    return out.transpose(1, 2) if layout == "bshd" else out


def rel_err(a: torch.Tensor, b: torch.Tensor) -> float:
    a, b = a.float(), b.float()
    return float((a - b).norm() / b.norm().clamp_min(1e-30))


def reference_heads(inputs: InputSets, heads: list[int], keep_tiles=None, tile=None,
                    chunk: int = 2048) -> torch.Tensor:
    """float32 attention of set 0, batch 0, `heads`: [len(heads), Sq, D]; with keep_tiles
    only kept tiles count and rows with none give 0 (DESIGN.md section 4)."""
    q, k, v = inputs.bshd[0]
    seqlen_q, seqlen_k, d = q.shape[1], k.shape[1], q.shape[-1]
    group = q.shape[2] // k.shape[2]
    scale = 1.0 / math.sqrt(d)
    outs = []
    for h in heads:
        qh, kh, vh = q[0, :, h].float(), k[0, :, h // group].float(), v[0, :, h // group].float()
        out = torch.empty_like(qh)
        if keep_tiles is not None:
            keep_h = keep_tiles[0, h].to(q.device)
            col_tiles = torch.arange(seqlen_k, device=q.device) // tile[1]
        for r0 in range(0, seqlen_q, chunk):
            r1 = min(r0 + chunk, seqlen_q)
            scores = (qh[r0:r1] @ kh.T) * scale
            if keep_tiles is not None:
                row_tiles = torch.arange(r0, r1, device=q.device) // tile[0]
                allowed = keep_h[row_tiles][:, col_tiles]
                scores.masked_fill_(~allowed, float("-inf"))
            probs = torch.softmax(scores, dim=-1).nan_to_num_(0.0)
            out[r0:r1] = probs @ vh
        outs.append(out)
    return torch.stack(outs)


# ---------------------------------------------------------------------------------
# Report


@dataclass
class Report:
    meta: dict
    checks: list = field(default_factory=list)
    dense: list = field(default_factory=list)
    overhead: list = field(default_factory=list)
    sparse: list = field(default_factory=list)


def fmt(x: Optional[float], spec: str, missing: str = "n/a") -> str:
    return missing if x is None else format(x, spec)


def print_row(cells, widths):
    print("  ".join(str(c).rjust(w) for c, w in zip(cells, widths)), flush=True)


def tflops(flops: float, ms: Optional[float]) -> Optional[float]:
    return None if not ms else flops / (ms * 1e-3) / 1e12


def ratio(a: Optional[float], b: Optional[float]) -> Optional[float]:
    return None if (a is None or not b) else a / b


# ---------------------------------------------------------------------------------
# Sections


class ShapeRun:
    """Everything measured on one shape: the input sets are made once and shared."""

    def __init__(self, shape: Shape, opts, device, liteattn, report: Report, seed: int):
        self.shape, self.opts, self.device, self.liteattn, self.report = shape, opts, device, liteattn, report
        self.dtype = DTYPES[opts.dtype]
        self.inputs = InputSets(shape, self.dtype, device, seed)
        self.tile = tile_shape(liteattn, shape.head_dim, self.dtype)
        b, h, s, d = shape
        self.tiles_m = math.ceil(s / self.tile[0])
        self.tiles_n = math.ceil(s / self.tile[1])
        self.flops = 4.0 * b * h * s * s * d
        self.check_heads = sorted({0, h - 1})
        # Why liteattn cannot run this shape at all (not built, no kernel for the head dim,
        # not a Hopper GPU): said once per shape, then its cells just read n/a.
        self.liteattn_reason = self.probe_liteattn()
        self.liteattn_error = UNAVAILABLE if self.liteattn_reason else None

    # -- helpers --------------------------------------------------------------------

    def probe_liteattn(self) -> Optional[str]:
        if self.liteattn is None:
            return "liteattn failed to import"
        out, error = self.output(liteattn_runner("liteattn", self.inputs))
        del out
        return error

    def announce(self):
        b, h, s, d = self.shape
        print(f"\n== {self.shape.label()} {self.opts.dtype}: tile {self.tile}, Tm={self.tiles_m} "
              f"Tn={self.tiles_n}, {self.inputs.count} input sets of "
              f"{3 * b * h * s * d * 2 / 2**20:.0f} MiB")
        if self.liteattn_reason:
            print(f"   liteattn n/a here: {self.liteattn_reason}")
            self.report.meta.setdefault("liteattn_unavailable", {})[self.shape.label()] = (
                self.liteattn_reason)

    def time_together(self, runners: list[Runner]) -> dict[str, Measured]:
        return time_together(runners, self.inputs.count, self.opts, self.device)

    def output(self, runner: Runner) -> tuple[Optional[torch.Tensor], Optional[str]]:
        try:
            with runner.context():
                out = runner.call(0)
            synchronize(self.device)
            return out, None
        except Exception as error:
            return None, describe(error)

    def zero_mask(self) -> torch.Tensor:
        words = math.ceil(self.tiles_n / 32)
        b, h = self.shape.batch, self.shape.heads
        return torch.zeros(b, h, self.tiles_m, words, dtype=torch.int32, device=self.device)

    def liteattn_variant(self, variant: str, name: Optional[str] = None) -> Runner:
        """none, skip_in0, skip_out, both: liteattn with nothing skipped."""
        skip_in = self.zero_mask() if variant in ("skip_in0", "both") else None
        skip_out = self.zero_mask() if variant in ("skip_out", "both") else None
        return liteattn_runner(name or f"liteattn[{variant}]", self.inputs, skip_in, skip_out,
                               self.opts.threshold)

    def check(self, label: str, runners: list[Runner], reference_name: Optional[str],
              keep_tiles=None) -> dict[str, dict]:
        """Relative L2 errors of each runner against `reference_name`'s output (whole
        tensor) and against the float32 reference (two heads)."""
        if self.opts.no_check:
            return {}
        runners = [r for r in runners if not (r.name.startswith("lite") and self.liteattn_error)]
        ref32 = reference_heads(self.inputs, self.check_heads, keep_tiles, self.tile)
        outputs = {r.name: (r,) + self.output(r) for r in runners}
        peer = outputs.get(reference_name) if reference_name else None
        peer_out = as_bhsd(peer[1], peer[0].layout) if peer and peer[1] is not None else None
        results = {}
        for name, (runner, out, error) in outputs.items():
            entry = {"config": label, "backend": name}
            if out is None:
                entry["error"] = error
            else:
                entry["err_fp32"] = rel_err(heads_of(out, runner.layout, self.check_heads), ref32)
                if peer_out is not None and name != reference_name:
                    entry["err_vs_" + reference_name] = rel_err(as_bhsd(out, runner.layout), peer_out)
            results[name] = entry
            self.report.checks.append({"shape": self.shape.label(), **entry})
        del outputs, peer, peer_out
        return results

    def print_checks(self, results: dict[str, dict], reference_name: Optional[str]):
        for name, entry in results.items():
            if "error" in entry:
                print(f"    check {name:<22} n/a ({entry['error']})")
                continue
            parts = [f"vs fp32 {entry['err_fp32']:.2e}"]
            key = "err_vs_" + (reference_name or "")
            if key in entry:
                parts.append(f"vs {reference_name} {entry[key]:.2e}")
            worst = max(v for k, v in entry.items() if k.startswith("err"))
            flag = "   <-- SUSPECT" if not worst <= SUSPECT_ERROR else ""
            print(f"    check {name:<22} rel L2 err " + ", ".join(parts) + flag)

    # -- dense ----------------------------------------------------------------------

    def dense(self):
        from torch.nn.attention import SDPBackend

        runners = []
        if not self.liteattn_error:
            runners.append(liteattn_runner("liteattn", self.inputs, threshold=self.opts.threshold))
        runners.append(sdpa_runner("sdpa_cudnn", self.inputs, SDPBackend.CUDNN_ATTENTION))
        runners.append(sdpa_runner("sdpa_flash", self.inputs, SDPBackend.FLASH_ATTENTION))
        if not self.opts.skip_flex:
            runners.append(flex_runner("flex", self.inputs, None, self.opts.flex_autotune))

        print(f"\n[dense] checks: {CHECK_HEADS_NOTE}")
        self.print_checks(self.check("dense", runners, "sdpa_cudnn"), "sdpa_cudnn")

        measured = self.time_together(runners)
        if self.liteattn_error:
            measured["liteattn"] = Measured(error=self.liteattn_error)
        if self.opts.skip_flex:
            measured["flex"] = Measured(error="--skip-flex")

        widths = [12, 10, 9, 9, 9, 9]
        print_row(["backend", "median_ms", "min_ms", "max_ms", "TFLOP/s", "vs cuDNN"], widths)
        cudnn_ms = measured["sdpa_cudnn"].ms
        for name in ("liteattn", "sdpa_cudnn", "sdpa_flash", "flex"):
            m = measured[name]
            row = {"shape": self.shape.label(), "backend": name, **self.row_timing(m)}
            row["tflops"] = tflops(self.flops, m.ms)
            row["speed_vs_cudnn"] = ratio(cudnn_ms, m.ms)
            self.report.dense.append(row)
            if m.error:
                print(f"{name:>12}  n/a ({m.error})")
                continue
            t = m.timing
            print_row([name, f"{t.median_ms:.3f}", f"{t.min_ms:.3f}", f"{t.max_ms:.3f}",
                       fmt(row["tflops"], ".1f"), fmt(row["speed_vs_cudnn"], ".3f")], widths)

    @staticmethod
    def row_timing(m: Measured) -> dict:
        if m.error:
            return {"error": m.error}
        return {"median_ms": m.timing.median_ms, "min_ms": m.timing.min_ms,
                "max_ms": m.timing.max_ms, "n": len(m.timing.times_ms),
                "block_medians_ms": m.timing.block_medians_ms, "times_ms": m.timing.times_ms}

    # -- overhead -------------------------------------------------------------------

    def overhead(self):
        print(f"\n[overhead] liteattn with nothing skipped (threshold {self.opts.threshold})")
        widths = [10, 10, 9, 9, 10]
        print_row(["variant", "median_ms", "min_ms", "max_ms", "overhead"], widths)
        variants = ("none", "skip_in0", "skip_out", "both")
        if self.liteattn_error:
            measured = {v: Measured(error=self.liteattn_error) for v in variants}
        else:
            timed = self.time_together([self.liteattn_variant(v, v) for v in variants])
            measured = {v: timed[v] for v in variants}
        base = measured["none"].ms
        for variant in variants:
            m = measured[variant]
            over = None if (m.ms is None or not base) else m.ms / base - 1.0
            self.report.overhead.append({"shape": self.shape.label(), "variant": variant,
                                         **self.row_timing(m), "overhead": over})
            if m.error:
                print(f"{variant:>10}  n/a ({m.error})")
                continue
            t = m.timing
            print_row([variant, f"{t.median_ms:.3f}", f"{t.min_ms:.3f}", f"{t.max_ms:.3f}",
                       fmt(None if over is None else 100 * over, "+.1f") + "%"], widths)

    # -- sparse ---------------------------------------------------------------------

    def sparse(self, seed: int):
        b, h, s, _ = self.shape
        print("\n[sparse] eff = f * t(nothing skipped) / t(f), vs_flex = t(flex) / t(liteattn),"
              " max_err: worst rel L2 err vs the masked fp32 reference")
        widths = [7, 5, 6, 9, 9, 9, 6, 6, 8, 9, 8]
        print_row(["mask", "keep", "actual", "lite_ms", "lite+dec", "flex_ms", "eff", "eff+d",
                   "vs_flex", "vs_flex+d", "max_err"], widths)
        for pattern in self.opts.mask:
            for ki, keep in enumerate(self.opts.keep):
                mask_seed = seed * 1000 + ki * 10 + DEFAULT_MASKS.index(pattern)
                keep_tiles = make_keep_tiles(pattern, keep, b, h, self.tiles_m, self.tiles_n,
                                             mask_seed)
                actual = kept_fraction(keep_tiles, s, s, self.tile)
                self.sparse_config(pattern, keep, actual, keep_tiles, widths)

    def flex_encodings(self):
        """Flex's ways of running exactly the attention liteattn runs for a mask:
        (runner name, keep tiles -> BlockMask, kernel_options).

        Our own block mask always. Flex's default kernel takes 128 query rows at a time and
        rejects blocks that are not a multiple of that (our query tile is 192 rows at
        D = 64), so there our block mask runs with a 64-row Flex kernel tile, and the same
        token-level mask is also given on Flex's own 128-row blocks (full blocks where both
        covering tiles are kept, partial ones with a mask_mod where they differ). The faster
        of the two is the "flex" column; both are in the JSON.
        """
        s, tile = self.shape.seqlen, self.tile
        same = lambda keep: flex_block_mask(keep, s, s, tile)  # noqa: E731
        if tile[0] % 128 == 0:
            return [("flex", same, None)]
        regrid = lambda keep: flex_block_mask_regridded(keep, s, s, tile, 128)  # noqa: E731
        return [("flex", same, {"BLOCK_M": 64, "BLOCK_N": tile[1]}),
                ("flex_128", regrid, None)]

    def sparse_config(self, pattern, keep, actual, keep_tiles, widths):
        label = f"{pattern} keep={keep:g}"
        runners, baselines, errors = [], [], {}
        if self.liteattn_error:
            for name in ("lite", "lite_dec", "lite_none", "lite_dec_none"):
                errors[name] = self.liteattn_error
        else:
            try:
                words = liteattn_words(self.liteattn, keep_tiles.to(self.device))
                skip_out = torch.zeros_like(words)
                runners.append(liteattn_runner("lite", self.inputs, words, None, self.opts.threshold))
                runners.append(liteattn_runner("lite_dec", self.inputs, words, skip_out,
                                               self.opts.threshold))
            except Exception as error:
                errors["lite"] = errors["lite_dec"] = describe(error)
            # The efficiency's t(nothing skipped), timed in the same rotation (see
            # time_together): no mask, and skip_out alone for the +dec column. They compute
            # the dense attention, not this mask's, so they are timed but not checked.
            baselines = [self.liteattn_variant("none", "lite_none"),
                         self.liteattn_variant("skip_out", "lite_dec_none")]
        flex_runners = []
        if self.opts.skip_flex:
            errors["flex"] = "--skip-flex"
        else:
            for name, make_mask, options in self.flex_encodings():
                try:
                    block_mask = make_mask(keep_tiles.to(self.device))
                    flex_runners.append(flex_runner(name, self.inputs, block_mask,
                                                    self.opts.flex_autotune, options))
                except Exception as error:
                    errors[name] = describe(error)

        checks = self.check(label, runners + flex_runners, None, keep_tiles)
        for entry in checks.values():
            err = entry.get("err_fp32")
            if "error" not in entry and not err <= SUSPECT_ERROR:
                print(f"    check {label} {entry['backend']}: SUSPECT, rel L2 err vs masked "
                      f"fp32 {err:.2e}")

        # Every encoding is checked; only those that can be the faster are timed.
        flex_runners, flex_probed = keep_competitive(flex_runners, self.inputs.count,
                                                     self.opts, self.device)
        measured = {name: Measured(error=e) for name, e in errors.items()}
        measured.update(self.time_together(runners + flex_runners + baselines))
        t_none, t_dec = measured["lite_none"].ms, measured["lite_dec_none"].ms
        # "flex" is the faster of Flex's exact encodings of the mask (see flex_encodings).
        flex_times = {n: m.ms for n, m in measured.items() if n.startswith("flex")}
        if len(flex_times) + len(flex_probed) > 1:
            shown = lambda n: (f"{flex_probed[n]:.3f} (one probe call, not timed)"  # noqa: E731
                               if n in flex_probed else fmt(flex_times.get(n), ".3f"))
            print(f"    flex ms: our {self.tile[0]}x{self.tile[1]} blocks (64-row kernel tile) "
                  f"{shown('flex')}, 128x{self.tile[1]} blocks {shown('flex_128')}")
        timed = [n for n, ms in flex_times.items() if ms is not None]
        if timed:
            measured["flex"] = measured[min(timed, key=flex_times.get)]
        elif "flex" not in measured:  # left out by keep_competitive, and the kept one failed
            measured["flex"] = Measured(error="no Flex encoding timed: " + "; ".join(
                f"{n}: {m.error}" for n, m in measured.items() if n.startswith("flex")))
        lite, lite_dec, flex = (measured[n].ms for n in ("lite", "lite_dec", "flex"))
        row = {
            "shape": self.shape.label(), "mask": pattern, "keep": keep, "keep_actual": actual,
            "liteattn": self.row_timing(measured["lite"]),
            "liteattn_decisions": self.row_timing(measured["lite_dec"]),
            "flex": self.row_timing(measured["flex"]),
            "flex_ms_by_encoding": flex_times,
            "flex_probe_ms_not_timed": flex_probed,
            "liteattn_nothing_skipped": self.row_timing(measured["lite_none"]),
            "liteattn_decisions_nothing_skipped": self.row_timing(measured["lite_dec_none"]),
            "skip_efficiency": ratio(None if t_none is None else actual * t_none, lite),
            "skip_efficiency_decisions": ratio(None if t_dec is None else actual * t_dec, lite_dec),
            "speedup_vs_flex": ratio(flex, lite),
            "speedup_vs_flex_decisions": ratio(flex, lite_dec),
            "err_fp32": {n: e.get("err_fp32") for n, e in checks.items()},
        }
        errs = [e for e in row["err_fp32"].values() if e is not None]
        max_err = max(errs) if errs else None
        self.report.sparse.append(row)
        print_row([pattern, f"{keep:g}", f"{actual:.3f}", fmt(lite, ".3f"), fmt(lite_dec, ".3f"),
                   fmt(flex, ".3f"), fmt(row["skip_efficiency"], ".3f"),
                   fmt(row["skip_efficiency_decisions"], ".3f"),
                   fmt(row["speedup_vs_flex"], ".2f"),
                   fmt(row["speedup_vs_flex_decisions"], ".2f"),
                   fmt(max_err, ".1e", "-")], widths)
        for name, m in measured.items():
            if m.error and m.error not in ("--skip-flex", UNAVAILABLE):
                print(f"    {name}: n/a ({m.error})")


def tile_shape(liteattn, head_dim: int, dtype: torch.dtype) -> tuple[int, int]:
    if liteattn is not None:
        return tuple(liteattn.tile_shape(head_dim, dtype))
    return (128, 128)


# ---------------------------------------------------------------------------------
# Markdown


def markdown(report: Report) -> str:
    m = report.meta
    lines = [
        f"### {m['date']} · {m['device']} · {m['dtype']}",
        "",
        f"torch {m['torch']}, cuDNN {m['cudnn']}, liteattn {m['liteattn']}. "
        f"Median of up to {m['repeats']} calls after {m['warmup']} warm-up, in {m['blocks']} "
        f"blocks per backend taking turns, each after a {m['settle_seconds']:g} s untimed run; "
        f"inputs rotated past 2x L2.",
        "",
        f"`{m['command']}`",
        "",
    ]
    if report.dense:
        lines += ["Dense, TFLOP/s (4·B·H·S²·D / median time):", "",
                  "| shape | liteattn | cuDNN | flash | Flex | liteattn / cuDNN |",
                  "|---|---:|---:|---:|---:|---:|"]
        by_shape: dict[str, dict] = {}
        for row in report.dense:
            by_shape.setdefault(row["shape"], {})[row["backend"]] = row
        for shape, rows in by_shape.items():
            cells = [fmt(rows.get(n, {}).get("tflops"), ".1f")
                     for n in ("liteattn", "sdpa_cudnn", "sdpa_flash", "flex")]
            lite = rows.get("liteattn", {}).get("median_ms")
            cudnn = rows.get("sdpa_cudnn", {}).get("median_ms")
            lines.append(f"| {shape} | " + " | ".join(cells) + f" | {fmt(ratio(cudnn, lite), '.3f')} |")
        lines.append("")
    if report.sparse:
        lines += ["Sparse (eff = f·t(nothing skipped)/t(f), target ≥ 0.95 for f ≥ 0.25; "
                  "vs Flex = t(Flex)/t(liteattn), target ≥ 1.5):", "",
                  "| shape | mask | keep | actual | liteattn ms | +decisions ms | Flex ms "
                  "| eff | eff +dec | vs Flex | vs Flex +dec |",
                  "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
        for r in report.sparse:
            lines.append(
                f"| {r['shape']} | {r['mask']} | {r['keep']:g} | {r['keep_actual']:.3f} | "
                f"{fmt(r['liteattn'].get('median_ms'), '.3f')} | "
                f"{fmt(r['liteattn_decisions'].get('median_ms'), '.3f')} | "
                f"{fmt(r['flex'].get('median_ms'), '.3f')} | "
                f"{fmt(r['skip_efficiency'], '.3f')} | {fmt(r['skip_efficiency_decisions'], '.3f')} | "
                f"{fmt(r['speedup_vs_flex'], '.2f')} | {fmt(r['speedup_vs_flex_decisions'], '.2f')} |")
        lines.append("")
    if report.overhead:
        lines += ["Nothing skipped, liteattn variants (ms, overhead vs no mask):", "",
                  "| shape | none | skip_in = 0 | skip_out | both |", "|---|---:|---:|---:|---:|"]
        by_shape = {}
        for row in report.overhead:
            by_shape.setdefault(row["shape"], {})[row["variant"]] = row
        for shape, rows in by_shape.items():
            cells = []
            for v in ("none", "skip_in0", "skip_out", "both"):
                r = rows.get(v, {})
                ms = fmt(r.get("median_ms"), ".3f")
                over = r.get("overhead")
                cells.append(ms if v == "none" or over is None else f"{ms} ({100 * over:+.1f}%)")
            lines.append(f"| {shape} | " + " | ".join(cells) + " |")
        lines.append("")
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------------


def import_liteattn():
    try:
        import liteattn  # noqa: F401  registers torch.ops.liteattn.forward

        return liteattn, None
    except Exception as error:
        return None, describe(error)


def main(argv=None) -> int:
    args = resolve_options(build_parser().parse_args(argv))
    device = torch.device(args.device)
    if device.type == "cuda" and not torch.cuda.is_available():
        print("compare.py: no CUDA device; use --device cpu for a smoke test", file=sys.stderr)
        return 2
    if device.type == "cuda" and device.index is not None:
        torch.cuda.set_device(device)
    # One compiled Flex graph per (shape, dense or masked): lift the recompile limit.
    for name in ("cache_size_limit", "recompile_limit", "accumulated_cache_size_limit"):
        if hasattr(torch._dynamo.config, name):
            setattr(torch._dynamo.config, name, max(256, getattr(torch._dynamo.config, name)))

    liteattn, liteattn_error = import_liteattn()
    device_name = torch.cuda.get_device_name(device) if device.type == "cuda" else "cpu"
    meta = {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "device": device_name,
        "l2_bytes": l2_bytes(device),
        "torch": torch.__version__,
        "cudnn": torch.backends.cudnn.version() if device.type == "cuda" else None,
        "liteattn": getattr(liteattn, "__version__", None) if liteattn else f"n/a ({liteattn_error})",
        "dtype": args.dtype,
        "threshold": args.threshold,
        "repeats": args.repeats,
        "warmup": args.warmup,
        "settle_seconds": args.settle_seconds,
        "blocks": args.blocks,
        "max_seconds": args.max_seconds,
        "command": shlex.join([sys.executable.rsplit("/", 1)[-1]] + sys.argv),
    }
    report = Report(meta=meta)
    print(f"{device_name}, torch {meta['torch']}, cuDNN {meta['cudnn']}, L2 "
          f"{meta['l2_bytes'] / 2**20:.0f} MiB, liteattn {meta['liteattn']}")

    dense_shapes = args.shapes if ("dense" in args.sections or "overhead" in args.sections) else []
    sparse_shapes = args.sparse_shapes if "sparse" in args.sections else []
    ordered = list(dict.fromkeys(list(dense_shapes) + list(sparse_shapes)))
    with torch.no_grad():
        for index, shape in enumerate(ordered):
            seed = args.seed * 7919 + index
            try:
                run = ShapeRun(shape, args, device, liteattn, report, seed)
            except Exception as error:
                print(f"\n== {shape.label()}: cannot set up inputs: {describe(error)}")
                continue
            run.announce()
            if shape in dense_shapes and "dense" in args.sections:
                run.dense()
            if shape in dense_shapes and "overhead" in args.sections:
                run.overhead()
            if shape in sparse_shapes:
                run.sparse(seed)
            del run
            if device.type == "cuda":
                torch.cuda.empty_cache()

    if args.json:
        with open(args.json, "w") as f:
            json.dump(asdict(report), f, indent=1)
        print(f"\nwrote {args.json}")
    if args.md:
        with open(args.md, "a") as f:
            f.write("\n" + markdown(report))
        print(f"appended tables to {args.md}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
