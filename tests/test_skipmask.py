import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from liteattn import skipmask, tiles

BN = tiles.tile_shape(64, torch.bfloat16)[1]


@st.composite
def tile_masks(draw):
    """bool [..., Tn] with 0-2 leading dims; Tn crosses word boundaries, bit 31 included."""
    leading = draw(st.lists(st.integers(1, 3), max_size=2))
    num_key_tiles = draw(st.sampled_from([1, 5, 31, 32, 33, 63, 64, 65, 100]))
    shape = (*leading, num_key_tiles)
    bits = draw(st.lists(st.booleans(), min_size=math.prod(shape), max_size=math.prod(shape)))
    return torch.tensor(bits, dtype=torch.bool).reshape(shape)


@settings(deadline=None, max_examples=200)
@given(tile_masks())
def test_tiles_words_round_trip(tiles_bool):
    words = skipmask.tiles_to_words(tiles_bool)
    num_key_tiles = tiles_bool.shape[-1]
    assert words.dtype == torch.int32
    assert words.shape == (*tiles_bool.shape[:-1], math.ceil(num_key_tiles / 32))
    assert torch.equal(skipmask.words_to_tiles(words, num_key_tiles), tiles_bool)


@settings(deadline=None, max_examples=200)
@given(st.lists(st.integers(-(2**31), 2**31 - 1), min_size=1, max_size=4))
def test_words_tiles_round_trip(values):
    words = torch.tensor(values, dtype=torch.int32)
    num_key_tiles = 32 * len(values)
    tiles_bool = skipmask.words_to_tiles(words, num_key_tiles)
    assert torch.equal(skipmask.tiles_to_words(tiles_bool), words)


def test_bit_layout_is_lsb_first_with_sign_bit():
    tiles_bool = torch.zeros(70, dtype=torch.bool)
    tiles_bool[[0, 31, 33, 69]] = True
    words = skipmask.tiles_to_words(tiles_bool)
    assert words.tolist() == [1 - 2**31, 2, 1 << 5]


def test_words_to_tiles_drops_bits_past_last_tile():
    words = torch.tensor([-1], dtype=torch.int32)
    assert skipmask.words_to_tiles(words, 3).tolist() == [True, True, True]


def test_words_to_tiles_rejects_wrong_word_count():
    with pytest.raises(ValueError, match=r"2 words .* num_key_tiles=33, got shape \(4, 1\)"):
        skipmask.words_to_tiles(torch.zeros(4, 1, dtype=torch.int32), 33)


def test_new_mask_shape():
    mask = skipmask.new_mask(2, 3, 300, 128 * 33, 128, torch.float16)
    assert mask.dtype == torch.int32 and mask.is_contiguous()
    assert mask.shape == (2, 3, 3, 2)
    assert not mask.any()


def test_density_overall_and_per_head():
    skipped = torch.zeros(2, 3, 4, 40, dtype=torch.bool)
    skipped[:, 1] = True  # head 1 skips everything
    skipped[0, 2, 0, :10] = True  # head 2: 10 of 2 * 4 * 40 tiles
    mask = skipmask.tiles_to_words(skipped)
    per_head = skipmask.density(mask, 40, per_head=True)
    torch.testing.assert_close(per_head, torch.tensor([0.0, 1.0, 10 / 320]))
    overall = skipmask.density(mask, 40)
    assert overall.dim() == 0
    torch.testing.assert_close(overall, torch.tensor((320 + 10) / 960))


def test_density_ignores_padding_bits():
    # Tn = 3 in one word: only three tiles count, even if the padding bits were set.
    mask = torch.full((1, 1, 1, 1), -1, dtype=torch.int32)
    torch.testing.assert_close(skipmask.density(mask, 3), torch.tensor(1.0))


def test_density_per_head_needs_4d_mask():
    with pytest.raises(ValueError, match=r"\[B, H, Tm, W\], got shape \(3, 1\)"):
        skipmask.density(torch.zeros(3, 1, dtype=torch.int32), 5, per_head=True)


@pytest.mark.parametrize(
    ("ranges", "seqlen_k", "expected_tiles"),
    [
        ([], 5 * BN, []),
        ([(0, 1)], 5 * BN, [0]),
        ([(0, BN)], 5 * BN, [0]),
        ([(BN - 1, BN + 1)], 5 * BN, [0, 1]),
        ([(BN, 3 * BN)], 5 * BN, [1, 2]),
        ([(0, 10), (4 * BN + 3, 5 * BN)], 5 * BN, [0, 4]),
        ([(40 * BN - 1, 40 * BN + 7)], 40 * BN + 7, [39, 40]),  # bit 31 and a partial tile
    ],
)
def test_must_compute_from_ranges(ranges, seqlen_k, expected_tiles):
    words = skipmask.must_compute_from_ranges(ranges, seqlen_k, 64, torch.bfloat16)
    num_key_tiles = math.ceil(seqlen_k / BN)
    expected = torch.zeros(num_key_tiles, dtype=torch.bool)
    expected[expected_tiles] = True
    assert words.dtype == torch.int32 and words.shape == (math.ceil(num_key_tiles / 32),)
    assert torch.equal(skipmask.words_to_tiles(words, num_key_tiles), expected)


@pytest.mark.parametrize("bad", [(-1, 3), (3, 3), (5, 2), (0, 5 * BN + 1)])
def test_must_compute_from_ranges_rejects_range(bad):
    with pytest.raises(ValueError, match=rf"range \({bad[0]}, {bad[1]}\) .*seqlen_k={5 * BN}"):
        skipmask.must_compute_from_ranges([(0, 1), bad], 5 * BN, 64, torch.bfloat16)


def test_check_mask_accepts_valid_mask():
    skipmask.check_mask("skip_in", torch.zeros(1, 2, 3, 1, dtype=torch.int32), (1, 2, 3, 1), "cpu")


def test_check_mask_rejects_non_tensor():
    with pytest.raises(TypeError, match=r"skip_in must be a torch.Tensor, got list"):
        skipmask.check_mask("skip_in", [0], (1,), "cpu")


def test_check_mask_rejects_dtype():
    mask = torch.zeros(1, 2, 3, 1, dtype=torch.int64)
    with pytest.raises(TypeError, match=r"skip_out must have dtype torch.int32, got torch.int64"):
        skipmask.check_mask("skip_out", mask, (1, 2, 3, 1), "cpu")


def test_check_mask_rejects_shape():
    mask = torch.zeros(1, 2, 3, 2, dtype=torch.int32)
    expected = r"skip_in must have shape \(1, 2, 3, 1\), got \(1, 2, 3, 2\)"
    with pytest.raises(ValueError, match=expected):
        skipmask.check_mask("skip_in", mask, (1, 2, 3, 1), "cpu")


def test_check_mask_rejects_non_contiguous():
    mask = torch.zeros(1, 3, 2, 1, dtype=torch.int32).transpose(1, 2)
    with pytest.raises(ValueError, match=r"must_compute must be contiguous"):
        skipmask.check_mask("must_compute", mask, (1, 2, 3, 1), "cpu")


def test_check_mask_rejects_device():
    mask = torch.zeros(4, dtype=torch.int32, device="meta")
    with pytest.raises(ValueError, match=r"skip_in must be on device cpu, got meta"):
        skipmask.check_mask("skip_in", mask, (4,), "cpu")
