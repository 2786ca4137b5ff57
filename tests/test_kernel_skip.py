"""The Hopper kernel with skip masks: skipping, decisions, propagation (GPU only)."""

import math
import os

import pytest
import torch

import mask_patterns
from kernel_utils import (assert_close_attention, kernel_forward, ramped_qkv, random_qkv,
                          reference64)
from liteattn import reference, skipmask, tiles

pytestmark = pytest.mark.gpu

DTYPES = [torch.bfloat16, torch.float16]
HEAD_DIMS = [64, 128]


def random_mask(batch, heads, seqlen_q, seqlen_k, head_dim, dtype, keep):
    grid = tiles.tile_grid(seqlen_q, seqlen_k, head_dim, dtype)
    skip = torch.rand(batch, heads, grid.num_query_tiles, grid.num_key_tiles, device="cuda") >= keep
    return skipmask.tiles_to_words(skip).contiguous(), grid


def clustered_qkv(seqlen, heads, head_dim, dtype, clusters=8, spread=3.0):
    """Video-like locality: tokens in contiguous runs share a direction, so each query
    block attends mostly to its own run and many tiles become negligible."""
    centers = torch.randn(heads, clusters, head_dim, device="cuda")
    assign = torch.arange(seqlen, device="cuda") * clusters // seqlen
    base = centers[:, assign].transpose(0, 1) * spread  # [S, H, D]
    q = (base + torch.randn_like(base)).unsqueeze(0).to(dtype)
    k = (base + torch.randn_like(base)).unsqueeze(0).to(dtype)
    v = torch.randn_like(base).unsqueeze(0).to(dtype)
    return q, k, v


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("head_dim", HEAD_DIMS)
@pytest.mark.parametrize("keep", [0.9, 0.5, 0.1, 0.0])
@pytest.mark.parametrize("seqlen_q,seqlen_k,heads_q,heads_kv", [(1000, 3000, 4, 2), (129, 4097, 2, 2)])
def test_skip_in_matches_reference(dtype, head_dim, keep, seqlen_q, seqlen_k, heads_q, heads_kv):
    q, k, v = random_qkv(2, seqlen_q, seqlen_k, heads_q, heads_kv, head_dim, dtype)
    skip_in, _ = random_mask(2, heads_q, seqlen_q, seqlen_k, head_dim, dtype, keep)
    out, lse, _ = kernel_forward(q, k, v, skip_in=skip_in)
    ref_out, ref_lse = reference64(q, k, v, skip_in=skip_in)
    assert_close_attention(out, lse, ref_out, ref_lse)


def test_all_skipped_rows_give_zero_and_minus_inf():
    q, k, v = random_qkv(1, 300, 1000, 2, 2, 128, torch.bfloat16)
    skip_in, grid = random_mask(1, 2, 300, 1000, 128, torch.bfloat16, keep=0.5)
    tiles_view = skipmask.words_to_tiles(skip_in, grid.num_key_tiles)
    tiles_view[0, 1, 1] = True  # query tile 1 of head 1 computes nothing
    skip_in = skipmask.tiles_to_words(tiles_view).contiguous()
    out, lse, _ = kernel_forward(q, k, v, skip_in=skip_in)
    bm = tiles.tile_shape(128, torch.bfloat16)[0]
    rows = slice(bm, min(2 * bm, 300))
    assert torch.equal(out[0, rows, 1], torch.zeros_like(out[0, rows, 1]))
    assert torch.isinf(lse[0, 1, rows]).all() and (lse[0, 1, rows] < 0).all()
    ref_out, ref_lse = reference64(q, k, v, skip_in=skip_in)
    assert_close_attention(out, lse, ref_out, ref_lse)


def decision_agreement(q, k, v, skip_in, threshold, must_compute=None):
    out, lse, skip_out = kernel_forward(q, k, v, skip_in=skip_in, decide=True,
                                        threshold=threshold, must_compute=must_compute)
    ref_skip = torch.empty_like(skip_out)
    ref_out, ref_lse = reference64(q, k, v, skip_in=skip_in, skip_out=ref_skip,
                                   threshold=threshold, must_compute=must_compute)
    assert_close_attention(out, lse, ref_out, ref_lse)
    grid = tiles.tile_grid(q.shape[1], k.shape[1], q.shape[3], q.dtype)
    # Padding bits must be written as zero: words_to_tiles drops them, so compare words
    # after re-packing too.
    assert torch.equal(skipmask.tiles_to_words(skipmask.words_to_tiles(skip_out, grid.num_key_tiles)),
                       skip_out), "skip_out has bits set past the last key tile (unwritten word?)"
    got = skipmask.words_to_tiles(skip_out, grid.num_key_tiles)
    want = skipmask.words_to_tiles(ref_skip, grid.num_key_tiles)
    _, margin = reference.reference_decisions(q, k, v, skip_in, threshold,
                                              compute_dtype=torch.float64)
    decidable = margin.abs() > 1e-3
    disagree = (got != want) & decidable
    assert not disagree.any(), f"{int(disagree.sum())} decidable tiles disagree"
    # Raw agreement over every tile, near-threshold ones included.
    rate = (got == want).float().mean().item()
    return got, want, rate, skip_out


def report_agreement(case, rate, marked):
    """Appends the raw agreement rate (every tile, those within 1e-3 of the threshold too) to
    $LITEATTN_REPORT_DIR/decision_agreement.txt, so a GPU round keeps the figure."""
    line = f"{case}: agreement {rate:.6f}, reference marked {marked.float().mean().item():.3f}"
    print(line)
    report_dir = os.environ.get("LITEATTN_REPORT_DIR")
    if report_dir:
        with open(os.path.join(report_dir, "decision_agreement.txt"), "a") as f:
            f.write(line + "\n")


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("head_dim", HEAD_DIMS)
@pytest.mark.parametrize("threshold", [-3.0, -8.0, -15.0])
def test_decisions_match_reference(dtype, head_dim, threshold):
    q, k, v = clustered_qkv(4000, 4, head_dim, dtype)
    got, want, rate, _ = decision_agreement(q, k, v, None, threshold)
    assert want.any() or threshold < -10, "inputs were meant to produce real sparsity"
    report_agreement(f"{dtype} D={head_dim} threshold={threshold}", rate, want)


@pytest.mark.parametrize("head_dim", HEAD_DIMS)
def test_decisions_with_skip_in_and_must_compute(head_dim):
    q, k, v = clustered_qkv(5000, 2, head_dim, torch.bfloat16)
    skip_in, grid = random_mask(1, 2, 5000, 5000, head_dim, torch.bfloat16, keep=0.7)
    must = skipmask.must_compute_from_ranges([(0, 300), (4500, 5000)], 5000, head_dim,
                                             torch.bfloat16, device="cuda")
    got, want, rate, skip_out = decision_agreement(q, k, v, skip_in, -5.0, must_compute=must)
    report_agreement(f"bf16 D={head_dim} threshold=-5 skip_in+must_compute", rate, want)
    protected = skipmask.words_to_tiles(must, grid.num_key_tiles)
    assert not (got & protected).any(), "a must_compute tile was marked"
    skipped_before = skipmask.words_to_tiles(skip_in, grid.num_key_tiles) & ~protected
    assert (got | ~skipped_before).all(), "a skip_in bit did not propagate"


@pytest.mark.parametrize("head_dim", HEAD_DIMS)
def test_skip_in_on_the_partial_last_key_tile(head_dim):
    """Only the last key tile can be partial, and the kernel masks its tail only when it is
    the first visited tile; with skip_in skipping exactly that tile no visited tile needs
    masking. 200 query rows leave whole warpgroups of padding (BM 128 or 192)."""
    dtype = torch.bfloat16
    q, k, v = random_qkv(1, 200, 4097, 2, 2, head_dim, dtype)  # Tn = 33, last tile 1 key
    grid = tiles.tile_grid(200, 4097, head_dim, dtype)
    skip = torch.zeros(1, 2, grid.num_query_tiles, grid.num_key_tiles, dtype=torch.bool,
                       device="cuda")
    skip[..., -1] = True
    skip_in = skipmask.tiles_to_words(skip).contiguous()
    got, _, _, _ = decision_agreement(q, k, v, skip_in, -8.0)
    assert got[..., -1].all(), "the skipped last tile did not stay skipped"


def test_threshold_minus_inf_marks_nothing():
    q, k, v = clustered_qkv(3000, 2, 64, torch.bfloat16)
    _, _, skip_out = kernel_forward(q, k, v, decide=True, threshold=-math.inf)
    assert not skip_out.any()


def test_multi_step_masks_only_grow():
    q, k, v = clustered_qkv(6000, 2, 128, torch.bfloat16)
    skip = None
    previous = None
    for step in range(4):
        drift = 0.05 * torch.randn_like(q.float())
        q = (q.float() + drift).to(q.dtype)
        out, lse, skip_out = kernel_forward(q, k, v, skip_in=skip, decide=True, threshold=-6.0)
        ref_out, ref_lse = reference64(q, k, v, skip_in=skip)
        assert_close_attention(out, lse, ref_out, ref_lse)
        grid = tiles.tile_grid(6000, 6000, 128, torch.bfloat16)
        now = skipmask.words_to_tiles(skip_out, grid.num_key_tiles)
        if previous is not None:
            assert (now | ~previous).all(), f"step {step}: a skipped tile came back"
        previous = now
        skip = skip_out
    assert previous.float().mean() > 0.1, "the trajectory produced almost no sparsity"


@pytest.mark.parametrize("skip_kind", ["none", "in"])
def test_all_four_combinations(skip_kind):
    q, k, v = random_qkv(1, 700, 2100, 2, 1, 64, torch.float16)
    skip_in = None
    if skip_kind == "in":
        skip_in, _ = random_mask(1, 2, 700, 2100, 64, torch.float16, keep=0.6)
    for decide in (False, True):
        out, lse, skip_out = kernel_forward(q, k, v, skip_in=skip_in, decide=decide, threshold=-4.0)
        ref_out, ref_lse = reference64(q, k, v, skip_in=skip_in)
        assert_close_attention(out, lse, ref_out, ref_lse)
        assert (skip_out is not None) == decide


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("head_dim", HEAD_DIMS)
@pytest.mark.parametrize("kind", mask_patterns.KINDS)
def test_structured_masks_match_reference(kind, dtype, head_dim):
    """Video-shaped masks (mask_patterns: windows, frames, sinks, columns, alternating
    tiles, dense and empty heads) with GQA and partial tiles at both ends: plain
    block-sparse (skip_in only) against the float64 reference, then the same mask with
    decisions: skip_in bits propagate and every decidable tile agrees. The inputs'
    scores climb with the key index (ramped_qkv), so a third to nine tenths of the
    computed tiles are marked on every pattern, never none."""
    batch, seqlen_q, seqlen_k, heads_q, heads_kv = 2, 1100, 2900, 4, 2
    grid = tiles.tile_grid(seqlen_q, seqlen_k, head_dim, dtype)
    block_n = tiles.tile_shape(head_dim, dtype)[1]
    q, k, v = ramped_qkv(batch, seqlen_q, seqlen_k, heads_q, heads_kv, head_dim, dtype,
                         block_n=block_n, step=2.5)
    skip = mask_patterns.skip_tiles(kind, batch, heads_q, grid.num_query_tiles,
                                    grid.num_key_tiles, device="cuda")
    skip_in = skipmask.tiles_to_words(skip).contiguous()
    out, lse, _ = kernel_forward(q, k, v, skip_in=skip_in)
    ref_out, ref_lse = reference64(q, k, v, skip_in=skip_in)
    assert_close_attention(out, lse, ref_out, ref_lse)
    empty_heads = skip.flatten(2).all(-1)  # [B, H]: heads that compute nothing
    if empty_heads.any():
        empty_out = out.transpose(1, 2)[empty_heads]
        assert torch.equal(empty_out, torch.zeros_like(empty_out)), "an empty head is not 0"
    got, want, rate, _ = decision_agreement(q, k, v, skip_in, -1.5)
    assert (got | ~skip).all(), "a skip_in bit did not propagate"
    assert (want & ~skip).any(), "the reference marked no computed tile: decisions untested"
    report_agreement(f"{dtype} D={head_dim} threshold=-1.5 {kind} mask", rate, want)


def mixed_rows_mask(batch, heads, grid):
    """Skip rows of five kinds, drawn per query tile: no key tile computed, exactly one,
    exactly two, about half, all. Consecutive tiles of a CTA then differ in every way the
    kernel's tile-to-tile hand-over cares about (an empty tile after a computed one, a
    one-key-tile tile between two others, ...)."""
    tn = grid.num_key_tiles
    shape = (batch, heads, grid.num_query_tiles)
    kinds = torch.tensor([0, 1, 2, tn // 2, tn], device="cuda")
    computed = kinds[torch.randint(0, len(kinds), shape, device="cuda")]
    ranks = torch.rand(*shape, tn, device="cuda").argsort(dim=-1)
    skip = ranks >= computed.unsqueeze(-1)
    return skipmask.tiles_to_words(skip).contiguous(), computed


@pytest.mark.parametrize("decide", [False, True])
@pytest.mark.parametrize("head_dim,heads_q", [(64, 12), (128, 8)])
def test_many_tiles_per_cta_with_mixed_rows(head_dim, heads_q, decide):
    """~5 query tiles per CTA (672 tiles on a 132-SM H100/H200: the grid is one CTA an SM),
    so what a CTA carries from one tile to the next (Q slots, held output rows, pipeline
    stages, vote rows) is exercised; the other skip tests mostly give each CTA one tile.
    Checked tile by tile, so one wrong tile cannot hide in a whole-tensor error."""
    dtype = torch.bfloat16
    batch, seqlen_q, seqlen_k, heads_kv = 2, 5300, 700, heads_q // 2
    grid = tiles.tile_grid(seqlen_q, seqlen_k, head_dim, dtype)
    q, k, v = random_qkv(batch, seqlen_q, seqlen_k, heads_q, heads_kv, head_dim, dtype)
    skip_in, computed = mixed_rows_mask(batch, heads_q, grid)
    num_tiles = batch * heads_q * grid.num_query_tiles
    sms = torch.cuda.get_device_properties(0).multi_processor_count
    assert num_tiles >= 4 * sms, f"only {num_tiles} tiles for {sms} SMs"
    out, lse, skip_out = kernel_forward(q, k, v, skip_in=skip_in, decide=decide, threshold=-6.0)
    ref_skip = torch.empty_like(skip_out) if decide else None
    ref_out, ref_lse = reference64(q, k, v, skip_in=skip_in, skip_out=ref_skip, threshold=-6.0)
    assert_close_attention(out, lse, ref_out, ref_lse)
    bm = tiles.tile_shape(head_dim, dtype)[0]
    for m in range(grid.num_query_tiles):
        rows = slice(m * bm, min((m + 1) * bm, seqlen_q))
        got = out[:, rows].double().transpose(1, 2)  # [B, H, rows, D]
        want = ref_out[:, rows].double().transpose(1, 2)
        empty = computed[:, :, m] == 0
        assert torch.equal(got[empty], torch.zeros_like(got[empty])), f"tile {m}: empty rows not 0"
        err = ((got - want).norm(dim=(-2, -1)) / want.norm(dim=(-2, -1)).clamp_min(1e-30))[~empty]
        assert err.numel() == 0 or err.max().item() < 2e-2, \
            f"query tile {m}: worst (batch, head) relative error {err.max().item():.3e}"
    if decide:
        _, margin = reference.reference_decisions(q, k, v, skip_in, -6.0, compute_dtype=torch.float64)
        got = skipmask.words_to_tiles(skip_out, grid.num_key_tiles)
        want = skipmask.words_to_tiles(ref_skip, grid.num_key_tiles)
        disagree = (got != want) & (margin.abs() > 1e-3)
        assert not disagree.any(), f"{int(disagree.sum())} decidable tiles disagree"
