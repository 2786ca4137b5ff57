import math
import os

import pytest
import torch

from liteattn import skipmask, tiles
from liteattn.reference import reference_decisions, reference_forward

LOG2_E = math.log2(math.e)


@pytest.fixture
def gen():
    # Fresh inputs every run; pytest shows this line with any failure so it can be replayed.
    seed = int.from_bytes(os.urandom(4), "little")
    print(f"torch.Generator seed: {seed}")
    return torch.Generator().manual_seed(seed)


def randn(gen, *shape, dtype=torch.float32):
    return torch.randn(*shape, generator=gen, dtype=torch.float64).to(dtype)


def expand_tiles(tiles_bool, block_shape, seqlen_q, seqlen_k):
    """bool [B, H, Tm, Tn] -> [B, H, Sq, Sk], one entry per (query row, key column)."""
    block_m, block_n = block_shape
    expanded = tiles_bool.repeat_interleave(block_m, dim=2).repeat_interleave(block_n, dim=3)
    return expanded[:, :, :seqlen_q, :seqlen_k]


def naive_attention(q, k, v, scale, keep=None):
    """Softmax attention in float64 over the columns in keep (bool [B, Hq, Sq, Sk]; all if None)."""
    group = q.shape[2] // k.shape[2]
    k = k.double().repeat_interleave(group, dim=2)
    v = v.double().repeat_interleave(group, dim=2)
    scores = torch.einsum("bqhd,bkhd->bhqk", q.double(), k) * scale
    if keep is None:
        keep = torch.ones_like(scores, dtype=torch.bool)
    scores = scores.masked_fill(~keep, -math.inf)
    lse = scores.logsumexp(dim=-1)
    has_columns = keep.any(dim=-1, keepdim=True)
    probs = torch.where(has_columns, torch.exp(scores - lse.unsqueeze(-1)), 0.0)
    return torch.einsum("bhqk,bkhd->bqhd", probs, v), lse


def naive_decisions(q, k, scale, computed, block_shape, threshold):
    """DESIGN.md section 4 step 3 as literal loops in float64: (marked, margin)."""
    block_m, block_n = block_shape
    batch, _, heads_q, _ = q.shape
    group = heads_q // k.shape[2]
    num_query_tiles, num_key_tiles = computed.shape[2:]
    marked = torch.zeros(computed.shape, dtype=torch.bool)
    margin = torch.full(computed.shape, math.inf, dtype=torch.float64)
    for b in range(batch):
        for h in range(heads_q):
            scores = scale * q[b, :, h].double() @ k[b, :, h // group].double().T
            for m in range(num_query_tiles):
                rows = scores[m * block_m : (m + 1) * block_m]
                running = None
                for j in reversed(range(num_key_tiles)):
                    if not computed[b, h, m, j]:
                        continue
                    tile_max = rows[:, j * block_n : (j + 1) * block_n].amax(dim=1)
                    if running is not None:
                        gap = ((tile_max - running) * LOG2_E).max()
                        margin[b, h, m, j] = gap - threshold
                        marked[b, h, m, j] = bool(gap <= threshold)
                        tile_max = torch.maximum(tile_max, running)
                    running = tile_max
    return marked, margin


def make_qkv(gen, batch, seqlen_q, seqlen_k, heads_q, heads_kv, head_dim, dtype, strided):
    """Random q, k, v; with strided=True none of them is contiguous (last dim still is)."""
    if not strided:
        return (
            randn(gen, batch, seqlen_q, heads_q, head_dim, dtype=dtype),
            randn(gen, batch, seqlen_k, heads_kv, head_dim, dtype=dtype),
            randn(gen, batch, seqlen_k, heads_kv, head_dim, dtype=dtype),
        )
    q = randn(gen, batch, heads_q, seqlen_q, head_dim, dtype=dtype).transpose(1, 2)
    k = randn(gen, batch, seqlen_k, heads_kv, 2 * head_dim, dtype=dtype)[..., head_dim:]
    v = randn(gen, batch, heads_kv, seqlen_k, head_dim, dtype=dtype).transpose(1, 2)
    return q, k, v


def random_skip(gen, shape, p):
    return torch.rand(shape, generator=gen) < p


SHAPES = [
    # batch, seqlen_q, seqlen_k, heads_q, heads_kv, head_dim, block_shape
    (1, 1, 1, 1, 1, 16, (16, 16)),
    (1, 7, 7, 2, 1, 32, (16, 16)),
    (2, 127, 129, 4, 2, 64, (128, 128)),
    (1, 129, 127, 6, 3, 64, (64, 32)),
    (2, 300, 300, 4, 1, 128, (128, 128)),
    (1, 300, 7, 2, 2, 16, (32, 64)),
    (3, 1, 300, 4, 4, 64, (16, 128)),
]

PRECISIONS = {
    # name: (input dtype, compute dtype, out tolerance)
    "fp32": (torch.float32, torch.float32, 2e-5),
    "fp64": (torch.float64, torch.float64, 1e-10),
}


@pytest.mark.parametrize("strided", [False, True], ids=["contiguous", "strided"])
@pytest.mark.parametrize("precision", list(PRECISIONS))
@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_matches_naive_attention(gen, shape, precision, strided):
    batch, seqlen_q, seqlen_k, heads_q, heads_kv, head_dim, block_shape = shape
    dtype, compute_dtype, tol = PRECISIONS[precision]
    q, k, v = make_qkv(gen, batch, seqlen_q, seqlen_k, heads_q, heads_kv, head_dim, dtype, strided)
    out, lse = reference_forward(q, k, v, block_shape=block_shape, compute_dtype=compute_dtype)
    expected_out, expected_lse = naive_attention(q, k, v, 1 / math.sqrt(head_dim))
    assert out.dtype == dtype and out.shape == q.shape and out.is_contiguous()
    assert lse.dtype == torch.float32 and lse.shape == (batch, heads_q, seqlen_q)
    torch.testing.assert_close(out, expected_out.to(dtype), rtol=tol, atol=tol)
    torch.testing.assert_close(lse, expected_lse.float())


def test_softmax_scale_is_used(gen):
    q, k, v = make_qkv(gen, 1, 40, 50, 2, 1, 32, torch.float64, strided=False)
    out, lse = reference_forward(
        q, k, v, softmax_scale=0.7, block_shape=(16, 16), compute_dtype=torch.float64
    )
    expected_out, expected_lse = naive_attention(q, k, v, 0.7)
    torch.testing.assert_close(out, expected_out)
    torch.testing.assert_close(lse, expected_lse.float())


@pytest.mark.parametrize("dtype", [torch.bfloat16, torch.float16])
def test_half_precision_inputs_use_kernel_tile_shape(gen, dtype):
    batch, seqlen, heads, head_dim = 1, 300, 2, 64
    q, k, v = make_qkv(gen, batch, seqlen, seqlen, heads, heads, head_dim, dtype, strided=True)
    # A mask laid out in the kernel's tiles is rejected unless the default block shape is
    # the kernel's (300 rows are 2 query tiles of 192 at D = 64, 3 of 128, 5 of 64).
    skip_out = skipmask.new_mask(batch, heads, seqlen, seqlen, head_dim, dtype)
    out, lse = reference_forward(q, k, v, skip_out=skip_out)
    expected_out, expected_lse = naive_attention(q, k, v, 1 / math.sqrt(head_dim))
    assert out.dtype == dtype
    torch.testing.assert_close(out.double(), expected_out, rtol=1e-2, atol=1e-2)
    torch.testing.assert_close(lse, expected_lse.float(), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("compute_dtype", [torch.float32, torch.float64])
def test_skipped_tiles_are_excluded(gen, compute_dtype):
    batch, seqlen_q, seqlen_k, heads_q, heads_kv, block_shape = 2, 70, 90, 4, 2, (16, 16)
    q, k, v = make_qkv(gen, batch, seqlen_q, seqlen_k, heads_q, heads_kv, 32, torch.float64, True)
    grid = tiles.grid_from_block_shape(seqlen_q, seqlen_k, block_shape)
    skipped = random_skip(gen, (batch, heads_q, grid.num_query_tiles, grid.num_key_tiles), 0.5)
    skipped[0, 0, 1] = True  # a query tile with nothing left to compute
    skipped[1, 3, 2] = False  # and one with nothing skipped
    skip_in = skipmask.tiles_to_words(skipped)
    out, lse = reference_forward(q, k, v, skip_in, block_shape=block_shape,
                                 compute_dtype=compute_dtype)
    keep = expand_tiles(~skipped, block_shape, seqlen_q, seqlen_k)
    expected_out, expected_lse = naive_attention(q, k, v, 1 / math.sqrt(32), keep)
    torch.testing.assert_close(out, expected_out, rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(lse, expected_lse.float())
    assert torch.equal(out[0, 16:32, 0], torch.zeros(16, 32, dtype=out.dtype))
    assert torch.equal(lse[0, 0, 16:32], torch.full((16,), -math.inf))


def test_all_skipped_gives_zero_out_and_neg_inf_lse(gen):
    q, k, v = make_qkv(gen, 2, 50, 40, 2, 1, 16, torch.float32, strided=False)
    grid = tiles.grid_from_block_shape(50, 40, (16, 16))
    everything = torch.ones(2, 2, grid.num_query_tiles, grid.num_key_tiles, dtype=torch.bool)
    skip_in = skipmask.tiles_to_words(everything)
    skip_out = torch.zeros_like(skip_in)
    out, lse = reference_forward(q, k, v, skip_in, skip_out, block_shape=(16, 16))
    assert torch.equal(out, torch.zeros_like(out))
    assert torch.equal(lse, torch.full_like(lse, -math.inf))
    assert torch.equal(skip_out, skip_in)


def clustered_qkv(gen, batch, heads_q, heads_kv, num_tiles, block, seqlen, peak=40.0):
    """Inputs whose decisions are known by construction.

    Tokens of query tile m point along axis m; tokens of key tile j along axis
    perm[b, kv head, j], a random permutation; both are orthogonal to a little noise. So a
    query tile scores `peak` against exactly one key tile (returned as aligned
    [B, Hq, Tm]) and about 0 against the others: probabilities e^-peak apart.
    """
    head_dim = 16
    amplitude = math.sqrt(peak * math.sqrt(head_dim))  # scale * amplitude**2 == peak
    q = 0.01 * randn(gen, batch, seqlen, heads_q, head_dim)
    k = 0.01 * randn(gen, batch, seqlen, heads_kv, head_dim)
    v = randn(gen, batch, seqlen, heads_kv, head_dim)
    tile_of_token = torch.arange(seqlen) // block
    one_hot = torch.nn.functional.one_hot(tile_of_token, num_tiles).float()
    q[..., :num_tiles] = amplitude * one_hot[None, :, None, :]
    perm = torch.stack([torch.randperm(num_tiles, generator=gen) for _ in range(batch * heads_kv)])
    perm = perm.reshape(batch, heads_kv, num_tiles)
    key_axis = perm[:, :, tile_of_token].transpose(1, 2)  # [B, Sk, Hkv]
    k[..., :num_tiles] = amplitude * torch.nn.functional.one_hot(key_axis, num_tiles).float()
    aligned = perm.argsort(dim=-1).repeat_interleave(heads_q // heads_kv, dim=1)
    return q, k, v, aligned


# Five 16-token tiles with a partial last one: 75 = 4 * 16 + 11 rows and columns.
CLUSTER = dict(batch=2, heads_q=4, heads_kv=2, num_tiles=5, block=16, seqlen=75)


def cluster_tiles():
    return torch.arange(CLUSTER["num_tiles"])


def test_descending_visit_marks_tiles_below_the_peak(gen):
    q, k, v, aligned = clustered_qkv(gen, **CLUSTER)
    block_shape = (CLUSTER["block"],) * 2
    skip_out = torch.zeros(2, 4, 5, 1, dtype=torch.int32)
    reference_forward(q, k, v, skip_out=skip_out, block_shape=block_shape)
    # Tiles above the peak are visited before it and compared only with noise; tiles below
    # it are visited after and are e^-40 smaller. Visiting in ascending j would instead mark
    # the tiles above the peak, so this pins the order down.
    expected = cluster_tiles() < aligned.unsqueeze(-1)
    assert torch.equal(skipmask.words_to_tiles(skip_out, 5), expected)
    marked, margin = reference_decisions(q, k, v, block_shape=block_shape)
    assert torch.equal(marked, expected)
    assert torch.isfinite(margin[expected]).all() and (margin[expected] < -40).all()


def test_skip_in_propagates_and_peak_becomes_first_visited(gen):
    q, k, v, aligned = clustered_qkv(gen, **CLUSTER)
    block_shape = (CLUSTER["block"],) * 2
    above_peak = cluster_tiles() > aligned.unsqueeze(-1)
    skip_out = torch.zeros(2, 4, 5, 1, dtype=torch.int32)
    out, lse = reference_forward(
        q, k, v, skipmask.tiles_to_words(above_peak), skip_out, block_shape=block_shape
    )
    # The peak is now the first visited tile (never marked); everything below it is marked
    # and everything above it stays skipped.
    expected = cluster_tiles() != aligned.unsqueeze(-1)
    assert torch.equal(skipmask.words_to_tiles(skip_out, 5), expected)
    keep = expand_tiles(~above_peak, block_shape, CLUSTER["seqlen"], CLUSTER["seqlen"])
    expected_out, expected_lse = naive_attention(q, k, v, 0.25, keep)
    torch.testing.assert_close(out, expected_out.float(), rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(lse, expected_lse.float())


def test_must_compute_is_never_skipped(gen):
    q, k, v, aligned = clustered_qkv(gen, **CLUSTER)
    block_shape = (CLUSTER["block"],) * 2
    skip_in = skipmask.tiles_to_words(cluster_tiles() > aligned.unsqueeze(-1))
    protected = torch.tensor([True, False, False, False, True])
    skip_out = torch.zeros_like(skip_in)
    reference_forward(
        q, k, v, skip_in, skip_out, must_compute=skipmask.tiles_to_words(protected),
        block_shape=block_shape,
    )
    # Tile 0 would be marked and tile 4 carried over from skip_in (unless either is the
    # peak); must_compute clears them whichever it is.
    expected = (cluster_tiles() != aligned.unsqueeze(-1)) & ~protected
    assert torch.equal(skipmask.words_to_tiles(skip_out, 5), expected)


def test_neg_inf_threshold_marks_nothing(gen):
    q, k, v, _ = clustered_qkv(gen, **CLUSTER)
    block_shape = (CLUSTER["block"],) * 2
    skip_in = skipmask.tiles_to_words(random_skip(gen, (2, 4, 5, 5), 0.3))
    skip_out = torch.zeros_like(skip_in)
    reference_forward(q, k, v, skip_in, skip_out, threshold=-math.inf, block_shape=block_shape)
    assert torch.equal(skip_out, skip_in)
    marked, margin = reference_decisions(
        q, k, v, skip_in, threshold=-math.inf, block_shape=block_shape
    )
    assert not marked.any()
    assert torch.equal(margin, torch.full_like(margin, math.inf))


def scores_by_tile(tile_scores, block, seqlen_k):
    """Two query rows and seqlen_k keys (one head, D = 2) such that, with scale 1, every
    column of key tile j scores exactly tile_scores[j] in both rows."""
    q = torch.tensor([[1.0, 0.0], [1.0, 0.0]]).reshape(1, 2, 1, 2)
    per_token = torch.tensor(tile_scores).repeat_interleave(block)[:seqlen_k]
    k = torch.stack([per_token, torch.zeros(seqlen_k)], dim=-1).reshape(1, seqlen_k, 1, 2)
    return q, k, torch.ones_like(k)


def test_first_visited_tile_depends_on_skip_in():
    # Tile 2, the first visited, is hopeless (score -40) yet not marked.
    q, k, v = scores_by_tile([0.0, 0.0, -40.0], block=4, seqlen_k=12)
    args = dict(softmax_scale=1.0, block_shape=(4, 4))
    marked, _ = reference_decisions(q, k, v, **args)
    assert marked.flatten().tolist() == [False, False, False]
    # With tile 0's score at -40 it is marked against tile 1...
    q, k, v = scores_by_tile([-40.0, 0.0, 0.0], block=4, seqlen_k=12)
    marked, _ = reference_decisions(q, k, v, **args)
    assert marked.flatten().tolist() == [True, False, False]
    # ...but never when it is the only computed tile, hence the first visited.
    skip_in = skipmask.tiles_to_words(torch.tensor([False, True, True]).reshape(1, 1, 1, 3))
    marked, margin = reference_decisions(q, k, v, skip_in, **args)
    assert marked.flatten().tolist() == [False, False, False]
    assert torch.isinf(margin).all()


def test_padded_key_columns_do_not_count():
    # Tile 1 has 1 valid column scoring -50, tile 0 scores -45: 5 above the running max,
    # not marked. Were tile 1's 3 padded columns scored 0, tile 0 would look 45 below.
    q, k, v = scores_by_tile([-45.0, -50.0], block=4, seqlen_k=5)
    skip_out = torch.zeros(1, 1, 1, 1, dtype=torch.int32)
    out, lse = reference_forward(q, k, v, skip_out=skip_out, softmax_scale=1.0, block_shape=(4, 4))
    assert skip_out.item() == 0
    expected_out, expected_lse = naive_attention(q, k, v, 1.0)
    torch.testing.assert_close(out, expected_out.float())
    torch.testing.assert_close(lse, expected_lse.float())


def test_margins_on_known_scores():
    # Scale 1, query row r = a_r * e0, key tile j = b_j * e0: S = a_r * b_j, and tile 0's
    # gap in row r is a_r * (b_0 - b_1) * log2(e), largest at the smallest valid a_r.
    a = torch.tensor([1.0, 2.0, 3.0, 4.0, 5.0, 6.0])  # query tile 1 has 2 valid rows of 4
    b = torch.tensor([1.0, 3.0])
    q = torch.zeros(1, 6, 1, 4, dtype=torch.float64)
    q[0, :, 0, 0] = a
    k = torch.zeros(1, 8, 1, 4, dtype=torch.float64)
    k[0, :, 0, 0] = b.repeat_interleave(4)
    threshold = -4.0
    marked, margin = reference_decisions(
        q, k, k, threshold=threshold, softmax_scale=1.0, block_shape=(4, 4),
        compute_dtype=torch.float64,
    )
    gap = (b[0] - b[1]).item() * LOG2_E
    expected_margin = torch.tensor(
        [[1.0 * gap - threshold, math.inf], [5.0 * gap - threshold, math.inf]]
    )
    torch.testing.assert_close(margin[0, 0], expected_margin.double())
    # Query tile 0: 1.115 above the threshold. Query tile 1: far below it, which the
    # padded rows (scores 0, gap 0) would have vetoed had they voted.
    assert marked[0, 0].tolist() == [[False, False], [True, False]]


DECISION_SHAPES = [
    # batch, seqlen_q, seqlen_k, heads_q, heads_kv, block_shape
    (2, 30, 70, 3, 1, (8, 8)),
    (1, 64, 128, 2, 2, (16, 8)),
    (1, 9, 300, 4, 2, (8, 8)),  # Tn = 38 crosses into the second mask word
]


@pytest.mark.parametrize("shape", DECISION_SHAPES, ids=str)
def test_decisions_match_naive_loops(gen, shape):
    batch, seqlen_q, seqlen_k, heads_q, heads_kv, block_shape = shape
    q, k, v = make_qkv(gen, batch, seqlen_q, seqlen_k, heads_q, heads_kv, 16, torch.float64, True)
    grid = tiles.grid_from_block_shape(seqlen_q, seqlen_k, block_shape)
    # Key tiles of random strength, so that weak tiles visited after strong ones get marked
    # and the others do not.
    gain = 2 * torch.rand(batch, grid.num_key_tiles, heads_kv, 1, generator=gen).double()
    k.mul_(gain.repeat_interleave(block_shape[1], dim=1)[:, :seqlen_k])
    skipped = random_skip(gen, (batch, heads_q, grid.num_query_tiles, grid.num_key_tiles), 0.3)
    skip_in = skipmask.tiles_to_words(skipped)
    threshold = -3.0
    args = dict(threshold=threshold, softmax_scale=1.0, block_shape=block_shape)

    marked, margin = reference_decisions(q, k, v, skip_in, compute_dtype=torch.float64, **args)
    expected_marked, expected_margin = naive_decisions(q, k, 1.0, ~skipped, block_shape, threshold)
    torch.testing.assert_close(margin, expected_margin)
    decided = expected_margin.abs() > 1e-9
    assert torch.equal(marked[decided], expected_marked[decided])
    assert 0 < expected_marked.sum() < (~skipped).sum(), "inputs should mark some tiles, not all"

    skip_out = torch.zeros_like(skip_in)
    reference_forward(q, k, v, skip_in, skip_out, **args)
    fp32_marked, fp32_margin = reference_decisions(q, k, v, skip_in, **args)
    assert torch.equal(skipmask.words_to_tiles(skip_out, grid.num_key_tiles), skipped | fp32_marked)
    decided = expected_margin.abs() > 1e-3
    assert torch.equal(fp32_marked[decided], expected_marked[decided])


def test_rejects_heads_not_divisible(gen):
    q, k, v = make_qkv(gen, 1, 8, 8, 3, 2, 16, torch.float32, strided=False)
    with pytest.raises(ValueError, match=r"q heads \(3\) must be a multiple of k/v heads \(2\)"):
        reference_forward(q, k, v, block_shape=(16, 16))


def test_requires_block_shape_for_float32(gen):
    q, k, v = make_qkv(gen, 1, 8, 8, 1, 1, 64, torch.float32, strided=False)
    with pytest.raises(ValueError, match=r"block_shape is required for q of dtype torch.float32"):
        reference_forward(q, k, v)


def test_rejects_mask_of_wrong_shape(gen):
    q, k, v = make_qkv(gen, 1, 40, 40, 2, 2, 16, torch.float32, strided=False)
    skip_in = torch.zeros(1, 2, 2, 1, dtype=torch.int32)
    expected = r"skip_in must have shape \(1, 2, 3, 1\), got \(1, 2, 2, 1\)"
    with pytest.raises(ValueError, match=expected):
        reference_forward(q, k, v, skip_in, block_shape=(16, 16))
    must_compute = torch.zeros(2, dtype=torch.int32)
    with pytest.raises(ValueError, match=r"must_compute must have shape \(1,\), got \(2,\)"):
        reference_forward(q, k, v, must_compute=must_compute, block_shape=(16, 16))
