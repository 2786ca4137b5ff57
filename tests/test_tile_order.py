"""The persistent scheduler's tile order with skip_in (GPU only): a permutation of the
query tiles; heavy tiles (at least a quarter of the work of their head's heaviest) before light
ones, heads ascending among the heavy and descending among the light, a head's tiles
heaviest first (include/liteattn/kernel/tile_order.h). Read back from the call's workspace,
whose layout fwd_launch.cuh fixes: [0] the scheduler's counter, [1] the order kernel's
ticket (the next head to give a starting CTA), one slot a (batch, head), then the order.
This checks what the order kernel wrote; that the scheduler follows it is what every skip
test's poisoned outputs check (a tile it never handed out stays NaN)."""

import pytest
import torch

from kernel_utils import MASK_POISON, assert_close_attention, kernel_forward, random_qkv, reference64
from liteattn import skipmask, tiles

pytestmark = pytest.mark.gpu


def keep_counts_mask(keep_counts, num_key_tiles):
    """A mask whose query tile i computes keep_counts[i] key tiles, at random places."""
    ranks = torch.rand(*keep_counts.shape, num_key_tiles, device="cuda").argsort(dim=-1)
    skip = ranks >= keep_counts.unsqueeze(-1)
    return skipmask.tiles_to_words(skip).contiguous()


@pytest.mark.parametrize("kind", ["skewed", "random", "with_empty_rows", "dense", "tail_bits_set"])
@pytest.mark.parametrize("head_dim", [64, 128])
def test_order_is_heavy_class_first_then_by_head_heaviest_first(kind, head_dim):
    batch, heads, seqlen_q, seqlen_k = 2, 3, 5000, 9000
    dtype = torch.bfloat16
    grid = tiles.tile_grid(seqlen_q, seqlen_k, head_dim, dtype)
    tn, tm = grid.num_key_tiles, grid.num_query_tiles
    shape = (batch, heads, tm)
    if kind == "skewed":
        nine_times = torch.rand(shape, device="cuda") < 0.5
        keep = torch.where(nine_times, int(0.45 * tn), int(0.05 * tn))
    elif kind in ("random", "tail_bits_set"):
        keep = torch.randint(1, tn + 1, shape, device="cuda")
    elif kind == "with_empty_rows":
        keep = torch.randint(0, 4, shape, device="cuda")
    else:
        keep = torch.full(shape, tn, device="cuda")
    skip_in = keep_counts_mask(keep, tn)
    contract_mask = skip_in.clone()
    if kind == "tail_bits_set":
        # Breaks the contract (bits past Tn are 0): the order must not count them (the
        # old count indexed past its histogram here) and the result is the clean mask's.
        assert tn % 32 != 0
        skip_in[..., -1] |= torch.tensor(MASK_POISON & ~((1 << (tn % 32)) - 1), dtype=torch.int32,
                                         device="cuda")
    q, k, v = random_qkv(batch, seqlen_q, seqlen_k, heads, heads, head_dim, dtype)
    workspace = []
    out, lse, _ = kernel_forward(q, k, v, skip_in=skip_in, workspace_out=workspace)

    num_tiles = batch * heads * tm
    assert workspace[0][1].item() == batch * heads, "each CTA of the order kernel takes one head"
    first = 2 + batch * heads
    order = workspace[0][first:first + num_tiles].long()
    assert torch.equal(order.sort().values, torch.arange(num_tiles, device="cuda")), \
        "the order is not a permutation of the tiles"
    computed = keep.reshape(-1).long()
    head = torch.arange(num_tiles, device="cuda") // tm
    head_max = keep.reshape(-1, tm).amax(dim=1).long()[head]
    heavy = (4 * computed >= head_max).long()
    head_rank = torch.where(heavy == 1, head, batch * heads - 1 - head)  # light: descending
    key = ((1 - heavy) * (1 << 40) + head_rank * (1 << 20) + ((1 << 19) - computed))[order]
    assert bool((key[1:] >= key[:-1]).all()), "tiles out of (class, head, work) order"
    if kind == "skewed":
        assert 0 < int(heavy.sum()) < num_tiles, "a skewed mask has both classes"
    ref_out, ref_lse = reference64(q, k, v, skip_in=contract_mask)
    assert_close_attention(out, lse, ref_out, ref_lse)
