import pytest
import torch

from conftest import compiled_extension
from liteattn import tiles


@pytest.mark.parametrize("key", sorted(tiles.TILE_SHAPES, key=str))
def test_tile_shape_matches_table(key):
    head_dim, dtype = key
    assert tiles.tile_shape(head_dim, dtype) == tiles.TILE_SHAPES[key]


def test_table_covers_every_supported_config():
    expected = {(d, t) for d in tiles.SUPPORTED_HEAD_DIMS for t in tiles.SUPPORTED_DTYPES}
    assert set(tiles.TILE_SHAPES) == expected


@pytest.mark.parametrize("head_dim", [0, 32, 96, 256])
def test_tile_shape_rejects_head_dim(head_dim):
    with pytest.raises(ValueError, match=rf"head_dim must be one of 64, 128, got {head_dim}"):
        tiles.tile_shape(head_dim, torch.bfloat16)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64, torch.int8])
def test_tile_shape_rejects_dtype(dtype):
    with pytest.raises(ValueError, match=rf"dtype must be one of .*bfloat16.*float16, got {dtype}"):
        tiles.tile_shape(64, dtype)


def test_dtype_names():
    assert tiles._dtype_name(torch.bfloat16) == "bf16"
    assert tiles._dtype_name(torch.float16) == "fp16"


@pytest.mark.parametrize(
    ("head_dim", "seqlen_q", "seqlen_k", "expected"),
    [
        (128, 1, 1, (1, 1, 1)),
        (128, 128, 128, (1, 1, 1)),
        (128, 129, 127, (2, 1, 1)),
        (128, 128 * 32, 128 * 32, (32, 32, 1)),
        (128, 300, 128 * 32 + 1, (3, 33, 2)),
        # D = 64 runs 192-row query tiles (three consumer warpgroups).
        (64, 192, 128, (1, 1, 1)),
        (64, 193, 129, (2, 2, 1)),
        (64, 17776, 17776, (93, 139, 5)),
    ],
)
def test_tile_grid(head_dim, seqlen_q, seqlen_k, expected):
    assert tiles.tile_grid(seqlen_q, seqlen_k, head_dim, torch.float16) == expected


def test_grid_from_block_shape_with_partial_tiles():
    grid = tiles.grid_from_block_shape(70, 1000, (16, 8))
    assert grid == tiles.TileGrid(num_query_tiles=5, num_key_tiles=125, num_words=4)


def test_compiled_tile_shapes_agree_with_table():
    compiled = compiled_extension()
    head_dims = list(compiled.compiled_head_dims())
    assert head_dims, "liteattn._C reports no compiled head dims"
    for head_dim in head_dims:
        for dtype in tiles.SUPPORTED_DTYPES:
            assert (head_dim, dtype) in tiles.TILE_SHAPES, (
                f"head_dim {head_dim} is compiled but missing from tiles.TILE_SHAPES"
            )
            compiled_shape = tuple(compiled.tile_shape(head_dim, tiles._dtype_name(dtype)))
            assert compiled_shape == tiles.TILE_SHAPES[(head_dim, dtype)], (head_dim, dtype)


def test_max_mask_words_matches_compiled():
    assert tiles.MAX_MASK_WORDS == compiled_extension().max_mask_words
