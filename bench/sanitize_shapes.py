"""Small shapes for compute-sanitizer (memcheck, racecheck, synccheck): every path of the
kernel once (partial tiles, GQA, skip_in, skip_out, must_compute, an all-skipped row),
kept small because the sanitizer slows kernels by orders of magnitude."""

import torch

import liteattn
from liteattn import skipmask, tiles


def run(batch, seqlen_q, seqlen_k, heads_q, heads_kv, head_dim, dtype, masks):
    q = torch.randn(batch, seqlen_q, heads_q, head_dim, device="cuda", dtype=dtype)
    k = torch.randn(batch, seqlen_k, heads_kv, head_dim, device="cuda", dtype=dtype)
    v = torch.randn(batch, seqlen_k, heads_kv, head_dim, device="cuda", dtype=dtype)
    skip_in = skip_out = must = None
    if masks:
        grid = tiles.tile_grid(seqlen_q, seqlen_k, head_dim, dtype)
        skip = torch.rand(batch, heads_q, grid.num_query_tiles, grid.num_key_tiles, device="cuda") < 0.4
        skip[0, 0, 0] = True  # one row with every tile skipped
        skip_in = skipmask.tiles_to_words(skip).contiguous()
        skip_out = torch.empty_like(skip_in)
        must = skipmask.must_compute_from_ranges([(0, 100)], seqlen_k, head_dim, dtype, device="cuda")
    out, lse = liteattn.forward(q, k, v, skip_in, skip_out, -4.0, None, must)
    torch.cuda.synchronize()
    assert not torch.isnan(out).any()


if __name__ == "__main__":
    for head_dim in (64, 128):
        run(1, 200, 333, 2, 1, head_dim, torch.bfloat16, masks=False)
        run(2, 300, 700, 2, 2, head_dim, torch.float16, masks=True)
    print("sanitize shapes done")
