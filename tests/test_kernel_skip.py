"""The Hopper kernel with skip masks: skipping, decisions, propagation (GPU only)."""

import math
import os

import pytest
import torch

import mask_patterns
from kernel_utils import (assert_close_attention, check_decisions, kernel_forward, ramped_qkv,
                          random_qkv, reference64)
from liteattn import skipmask, tiles

pytestmark = pytest.mark.gpu

DTYPES = [torch.bfloat16, torch.float16]
HEAD_DIMS = [64, 128]
# The device of every tensor these tests build: one name, so that their checking logic can
# be dry-run on the CPU with the reference standing in for the kernel.
DEVICE = "cuda"


def random_mask(batch, heads, seqlen_q, seqlen_k, head_dim, dtype, keep):
    grid = tiles.tile_grid(seqlen_q, seqlen_k, head_dim, dtype)
    skip = torch.rand(batch, heads, grid.num_query_tiles, grid.num_key_tiles, device=DEVICE) >= keep
    return skipmask.tiles_to_words(skip).contiguous(), grid


def clustered_qkv(seqlen, heads, head_dim, dtype, clusters=8, spread=3.0, heads_kv=None):
    """Video-like locality: tokens in contiguous runs share a direction, so each query
    block attends mostly to its own run and many tiles become negligible. With heads_kv
    (GQA) each group of query heads shares its kv head's directions."""
    heads_kv = heads_kv or heads
    centers = torch.randn(heads_kv, clusters, head_dim, device=DEVICE)
    assign = torch.arange(seqlen, device=DEVICE) * clusters // seqlen
    base = centers[:, assign].transpose(0, 1) * spread  # [S, Hkv, D]
    base_q = base.repeat_interleave(heads // heads_kv, dim=1)
    q = (base_q + torch.randn_like(base_q)).unsqueeze(0).to(dtype)
    k = (base + torch.randn_like(base)).unsqueeze(0).to(dtype)
    v = torch.randn_like(base).unsqueeze(0).to(dtype)
    return q, k, v


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("head_dim", HEAD_DIMS)
@pytest.mark.parametrize("keep", [0.9, 0.5, 0.1, 0.0])
@pytest.mark.parametrize("seqlen_q,seqlen_k,heads_q,heads_kv", [(1000, 3000, 4, 2), (129, 4097, 2, 2)])
def test_skip_in_matches_reference(dtype, head_dim, keep, seqlen_q, seqlen_k, heads_q, heads_kv):
    q, k, v = random_qkv(2, seqlen_q, seqlen_k, heads_q, heads_kv, head_dim, dtype, device=DEVICE)
    skip_in, _ = random_mask(2, heads_q, seqlen_q, seqlen_k, head_dim, dtype, keep)
    out, lse, _ = kernel_forward(q, k, v, skip_in=skip_in)
    ref_out, ref_lse = reference64(q, k, v, skip_in=skip_in)
    assert_close_attention(out, lse, ref_out, ref_lse)


def test_all_skipped_rows_give_zero_and_minus_inf():
    q, k, v = random_qkv(1, 300, 1000, 2, 2, 128, torch.bfloat16, device=DEVICE)
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
    """One call with decisions against the float64 reference: out and lse, then skip_out
    (every word written, every decidable tile alike). Returns (Decisions, skip_out)."""
    out, lse, skip_out = kernel_forward(q, k, v, skip_in=skip_in, decide=True,
                                        threshold=threshold, must_compute=must_compute)
    ref_skip = torch.empty_like(skip_out)
    ref_out, ref_lse = reference64(q, k, v, skip_in=skip_in, skip_out=ref_skip,
                                   threshold=threshold, must_compute=must_compute)
    assert_close_attention(out, lse, ref_out, ref_lse)
    return check_decisions(q, k, v, skip_in, threshold, skip_out, ref_skip), skip_out


def report_agreement(case, decisions):
    """Prints the agreement over the tiles the call decided (kernel_utils.Decisions) and
    appends it to $LITEATTN_REPORT_DIR/decision_agreement.txt, so a GPU round keeps it."""
    line = f"{case}: {decisions.summary()}"
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
    decisions, _ = decision_agreement(q, k, v, None, threshold)
    report_agreement(f"{dtype} D={head_dim} threshold={threshold}", decisions)
    # Clustered inputs have the reference mark 40-51% of the tiles at each of these
    # thresholds (-15 included); far fewer means the inputs lost their sparsity.
    marked = decisions.want.float().mean().item()
    assert marked > 0.25, f"the reference marked {marked:.3f} of the tiles: inputs not sparse"


@pytest.mark.parametrize("head_dim", HEAD_DIMS)
def test_decisions_with_skip_in_and_must_compute(head_dim):
    q, k, v = clustered_qkv(5000, 2, head_dim, torch.bfloat16)
    skip_in, grid = random_mask(1, 2, 5000, 5000, head_dim, torch.bfloat16, keep=0.7)
    must = skipmask.must_compute_from_ranges([(0, 300), (4500, 5000)], 5000, head_dim,
                                             torch.bfloat16, device=DEVICE)
    decisions, _ = decision_agreement(q, k, v, skip_in, -5.0, must_compute=must)
    report_agreement(f"bf16 D={head_dim} threshold=-5 skip_in+must_compute", decisions)
    protected = skipmask.words_to_tiles(must, grid.num_key_tiles)
    assert not (decisions.got & protected).any(), "a must_compute tile was marked"
    skipped_before = skipmask.words_to_tiles(skip_in, grid.num_key_tiles) & ~protected
    assert (decisions.got | ~skipped_before).all(), "a skip_in bit did not propagate"


@pytest.mark.parametrize("head_dim", HEAD_DIMS)
def test_skip_in_on_the_partial_last_key_tile(head_dim):
    """Only the last key tile can be partial, and the kernel masks its tail only when it is
    the first visited tile; with skip_in skipping exactly that tile no visited tile needs
    masking. 200 query rows leave whole warpgroups of padding (BM 128 or 192)."""
    dtype = torch.bfloat16
    q, k, v = random_qkv(1, 200, 4097, 2, 2, head_dim, dtype, device=DEVICE)  # Tn = 33
    grid = tiles.tile_grid(200, 4097, head_dim, dtype)
    skip = torch.zeros(1, 2, grid.num_query_tiles, grid.num_key_tiles, dtype=torch.bool,
                       device=DEVICE)
    skip[..., -1] = True
    skip_in = skipmask.tiles_to_words(skip).contiguous()
    decisions, _ = decision_agreement(q, k, v, skip_in, -8.0)
    report_agreement(f"bf16 D={head_dim} threshold=-8 skip_in on the partial last key tile",
                     decisions)
    assert decisions.got[..., -1].all(), "the skipped last tile did not stay skipped"


def test_threshold_minus_inf_marks_nothing():
    q, k, v = clustered_qkv(3000, 2, 64, torch.bfloat16)
    _, _, skip_out = kernel_forward(q, k, v, decide=True, threshold=-math.inf)
    assert not skip_out.any()


@pytest.mark.parametrize("dtype,head_dim,heads_q,heads_kv",
                         [(torch.bfloat16, 128, 2, 2), (torch.float16, 64, 4, 2)])
def test_multi_step_masks_only_grow(dtype, head_dim, heads_q, heads_kv):
    """Four steps of a drifting trajectory, each step's skip_out the next one's skip_in, as
    LiteAttention runs them: at every step the decisions agree with the float64 reference,
    no skipped tile comes back and no must_compute tile is marked."""
    seqlen = 6000
    q, k, v = clustered_qkv(seqlen, heads_q, head_dim, dtype, heads_kv=heads_kv)
    grid = tiles.tile_grid(seqlen, seqlen, head_dim, dtype)
    # The first cluster's keys: other clusters' queries would mark them if not protected.
    must = skipmask.must_compute_from_ranges([(0, 300)], seqlen, head_dim, dtype, device=DEVICE)
    protected = skipmask.words_to_tiles(must, grid.num_key_tiles)
    skip = None
    for step in range(4):
        drift = 0.05 * torch.randn_like(q.float())
        q = (q.float() + drift).to(dtype)
        decisions, skip_out = decision_agreement(q, k, v, skip, -6.0, must_compute=must)
        report_agreement(f"{dtype} D={head_dim} Hq={heads_q} Hkv={heads_kv} threshold=-6 "
                         f"step {step}", decisions)
        assert not (decisions.got & protected).any(), f"step {step}: a must_compute tile was marked"
        if skip is not None:
            skipped_before = skipmask.words_to_tiles(skip, grid.num_key_tiles)
            assert (decisions.got | ~skipped_before).all(), f"step {step}: a skipped tile came back"
        skip = skip_out
    assert decisions.got.float().mean() > 0.1, "the trajectory produced almost no sparsity"


@pytest.mark.parametrize("skip_kind", ["none", "in"])
def test_all_four_combinations(skip_kind):
    """skip_in absent or given, each without and with decisions. Ramped inputs, so that the
    decisions have marks to agree on (random ones at this threshold have none)."""
    block_n = tiles.tile_shape(64, torch.float16)[1]
    q, k, v = ramped_qkv(1, 700, 2100, 2, 1, 64, torch.float16, block_n=block_n, step=2.5,
                         device=DEVICE)
    skip_in = None
    if skip_kind == "in":
        skip_in, _ = random_mask(1, 2, 700, 2100, 64, torch.float16, keep=0.6)
    out, lse, skip_out = kernel_forward(q, k, v, skip_in=skip_in, threshold=-4.0)
    assert skip_out is None
    ref_out, ref_lse = reference64(q, k, v, skip_in=skip_in)
    assert_close_attention(out, lse, ref_out, ref_lse)
    decisions, _ = decision_agreement(q, k, v, skip_in, -4.0)
    report_agreement(f"fp16 D=64 threshold=-4 skip_in={skip_kind}", decisions)


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
                         block_n=block_n, step=2.5, device=DEVICE)
    skip = mask_patterns.skip_tiles(kind, batch, heads_q, grid.num_query_tiles,
                                    grid.num_key_tiles, device=DEVICE)
    skip_in = skipmask.tiles_to_words(skip).contiguous()
    out, lse, _ = kernel_forward(q, k, v, skip_in=skip_in)
    ref_out, ref_lse = reference64(q, k, v, skip_in=skip_in)
    assert_close_attention(out, lse, ref_out, ref_lse)
    empty_heads = skip.flatten(2).all(-1)  # [B, H]: heads that compute nothing
    if empty_heads.any():
        empty_out = out.transpose(1, 2)[empty_heads]
        assert torch.equal(empty_out, torch.zeros_like(empty_out)), "an empty head is not 0"
    decisions, _ = decision_agreement(q, k, v, skip_in, -1.5)
    report_agreement(f"{dtype} D={head_dim} threshold=-1.5 {kind} mask", decisions)
    assert (decisions.got | ~skip).all(), "a skip_in bit did not propagate"
    assert (decisions.want & ~skip).any(), "the reference marked no computed tile: untested"


def mixed_rows_mask(batch, heads, grid):
    """Skip rows of five kinds, drawn per query tile: no key tile computed, exactly one,
    exactly two, about half, all. Consecutive tiles of a CTA then differ in every way the
    kernel's tile-to-tile hand-over cares about (an empty tile after a computed one, a
    one-key-tile tile between two others, ...)."""
    tn = grid.num_key_tiles
    shape = (batch, heads, grid.num_query_tiles)
    kinds = torch.tensor([0, 1, 2, tn // 2, tn], device=DEVICE)
    computed = kinds[torch.randint(0, len(kinds), shape, device=DEVICE)]
    ranks = torch.rand(*shape, tn, device=DEVICE).argsort(dim=-1)
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
    q, k, v = random_qkv(batch, seqlen_q, seqlen_k, heads_q, heads_kv, head_dim, dtype,
                         device=DEVICE)
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
        decisions = check_decisions(q, k, v, skip_in, -6.0, skip_out, ref_skip)
        report_agreement(f"bf16 D={head_dim} threshold=-6 mixed rows, many tiles a CTA", decisions)
