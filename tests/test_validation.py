"""Every host-side check of one liteattn.forward call, one test each.

Calls go through the op (torch.ops.liteattn.forward on CPU) unless the bad value cannot
cross the dispatcher, in which case validate_forward is called directly. Each test
matches the message: it must name the argument, the value given and what is expected.
"""

import math
import re

import numpy as np
import pytest
import torch

import liteattn
from liteattn import skipmask
from liteattn.validation import CallShape, validate_forward


def qkv(batch=1, seqlen_q=200, seqlen_k=300, heads_q=4, heads_kv=2, head_dim=64,
        dtype=torch.bfloat16):
    q = torch.randn(batch, seqlen_q, heads_q, head_dim, dtype=dtype)
    k = torch.randn(batch, seqlen_k, heads_kv, head_dim, dtype=dtype)
    v = torch.randn(batch, seqlen_k, heads_kv, head_dim, dtype=dtype)
    return q, k, v


def masks_for(q, k):
    grid = liteattn.tile_grid(q.shape[1], k.shape[1], q.shape[3], q.dtype)
    shape = (q.shape[0], q.shape[2], grid.num_query_tiles, grid.num_words)
    bits = torch.rand(*shape[:3], grid.num_key_tiles) < 0.3
    skip_in = skipmask.tiles_to_words(bits)
    return skip_in, torch.empty(shape, dtype=torch.int32), torch.zeros(grid.num_words,
                                                                        dtype=torch.int32)


def call(*args, **kwargs):
    return liteattn.forward(*args, **kwargs)


# ---- accepted inputs ------------------------------------------------------------------------

def test_call_shape_is_resolved():
    q, k, v = qkv(batch=2, seqlen_q=200, seqlen_k=4500, heads_q=6, heads_kv=3, head_dim=128)
    shape = validate_forward(q, k, v)
    assert shape == CallShape(batch=2, seqlen_q=200, seqlen_k=4500, heads_q=6, heads_kv=3,
                              head_dim=128, block_m=128, block_n=128, tm=2, tn=36, words=2,
                              softmax_scale=1 / math.sqrt(128))
    assert shape.mask_shape == (2, 6, 2, 2)
    assert validate_forward(q, k, v, softmax_scale=0.25).softmax_scale == 0.25
    with pytest.raises(AttributeError):
        shape.batch = 3


def test_transposed_bhsd_view_is_accepted():
    q, k, v = (t.transpose(1, 2).contiguous() for t in qkv())  # [B, H, S, D] in memory
    views = [t.transpose(1, 2) for t in (q, k, v)]
    assert not views[0].is_contiguous()
    out, _ = call(*views)
    expected, _ = call(*(t.contiguous() for t in views))
    assert torch.equal(out, expected)


def test_packed_qkv_slices_are_accepted():
    packed = torch.randn(2, 150, 3, 4, 64, dtype=torch.float16)
    q, k, v = packed.unbind(2)
    out, _ = call(q, k, v)
    expected, _ = call(q.contiguous(), k.contiguous(), v.contiguous())
    assert torch.equal(out, expected)


def test_padded_rows_with_stride_multiple_of_8_are_accepted():
    q, k, v = qkv(heads_q=2, heads_kv=2)
    base = torch.randn(1, q.shape[1], 2 * 64 + 8, dtype=q.dtype)
    padded_q = base[..., : 2 * 64].unflatten(-1, (2, 64))
    padded_q.copy_(q)
    assert padded_q.stride(1) == 136
    assert torch.equal(call(padded_q, k, v)[0], call(q, k, v)[0])


def test_size_one_dimension_with_odd_stride_is_accepted():
    q, k, v = qkv(batch=1)
    odd = q.as_strided(q.shape, (3,) + q.stride()[1:])
    assert odd.stride(0) == 3
    assert torch.equal(call(odd, k, v)[0], call(q, k, v)[0])


def test_aligned_offset_is_accepted():
    q, k, v = qkv()
    flat = torch.randn(q.numel() + 8, dtype=q.dtype)
    shifted = flat[8:].view(q.shape)
    shifted.copy_(q)
    assert torch.equal(call(shifted, k, v)[0], call(q, k, v)[0])


def test_disjoint_masks_in_one_buffer_are_accepted():
    q, k, v = qkv()
    skip_in, skip_out, _ = masks_for(q, k)
    buffer = torch.empty(2 * skip_in.numel(), dtype=torch.int32)
    first, second = buffer[: skip_in.numel()].view(skip_in.shape), buffer[skip_in.numel():].view(
        skip_in.shape)
    first.copy_(skip_in)
    call(q, k, v, first, second, -4.0)
    assert torch.equal(first, skip_in)


def test_validation_reads_no_data():
    q, k, v = (t.to("meta") for t in qkv())
    skip_in, skip_out, must_compute = (t.to("meta") for t in masks_for(q, k))
    shape = validate_forward(q, k, v, skip_in, skip_out, -4.0, None, must_compute)
    assert shape.mask_shape == tuple(skip_in.shape)


# ---- q, k, v -----------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ("q", "k", "v"))
def test_not_a_tensor(name):
    args = dict(zip("qkv", qkv()))
    args[name] = args[name].tolist()
    with pytest.raises(TypeError, match=f"^{name}: expected a torch.Tensor, got list"):
        validate_forward(**args)


def test_wrong_rank():
    q, k, v = qkv()
    with pytest.raises(ValueError, match=r"^q: expected a 4-D tensor .* got shape \(200, 4, 64\)"):
        call(q[0], k, v)


def test_wrong_dtype():
    q, k, v = (t.float() for t in qkv())
    with pytest.raises(TypeError, match=r"^q: expected dtype torch.bfloat16 or torch.float16, "
                                        r"got torch.float32"):
        call(q, k, v)


def test_mixed_dtypes():
    q, k, v = qkv()
    with pytest.raises(TypeError, match=r"^v: expected dtype torch.bfloat16 \(same as q\), "
                                        r"got torch.float16"):
        call(q, k, v.half())


def test_mixed_devices():
    q, k, v = qkv()
    with pytest.raises(ValueError, match=r"^k: expected device cpu \(same as q\), got meta"):
        validate_forward(q, k.to("meta"), v)


def test_batch_mismatch():
    q, k, v = qkv(batch=2)
    with pytest.raises(ValueError, match=r"^k: expected batch size 2 \(from q\), got shape \(1, "):
        call(q, k[:1], v[:1])


def test_head_dim_mismatch():
    q, _, _ = qkv(head_dim=128)
    _, k, v = qkv(head_dim=64)
    with pytest.raises(ValueError, match=r"^k: expected head_dim 128 \(from q\), got shape "
                                         r"\(1, 300, 2, 64\)"):
        call(q, k, v)


@pytest.mark.parametrize("head_dim", (32, 96, 256))
def test_unsupported_head_dim(head_dim):
    q, k, v = qkv(head_dim=head_dim)
    with pytest.raises(ValueError, match=rf"^q: expected head_dim in \(64, 128\), got {head_dim}"):
        call(q, k, v)


@pytest.mark.parametrize("empty, message", [
    pytest.param({"seqlen_q": 0}, r"^q: expected seqlen_q >= 1, got shape \(1, 0, 4, 64\)",
                 id="query"),
    pytest.param({"seqlen_k": 0}, r"^k: expected seqlen_k >= 1, got shape \(1, 0, 2, 64\)",
                 id="keys"),
    pytest.param({"batch": 0}, r"^q: expected batch size >= 1, got shape \(0, ", id="batch"),
    pytest.param({"heads_q": 0}, r"^q: expected heads_q >= 1, got shape \(1, 200, 0, 64\)",
                 id="heads"),
])
def test_empty_dimension(empty, message):
    q, k, v = qkv(**empty)
    with pytest.raises(ValueError, match=message):
        call(q, k, v)


@pytest.mark.parametrize("heads_q, heads_kv", ((6, 4), (2, 4), (4, 0)))
def test_heads_q_not_a_multiple_of_heads_kv(heads_q, heads_kv):
    q, k, v = qkv(heads_q=heads_q, heads_kv=heads_kv)
    with pytest.raises(ValueError, match=rf"^k: expected heads_kv dividing heads_q={heads_q}, "
                                         rf"got heads_kv={heads_kv}"):
        call(q, k, v)


def test_v_shape_differs_from_k():
    q, k, v = qkv()
    with pytest.raises(ValueError, match=r"^v: expected shape \(1, 300, 2, 64\) \(same as k\), "
                                         r"got \(1, 299, 2, 64\)"):
        call(q, k, v[:, :299])


def test_last_dimension_not_contiguous():
    q, k, v = qkv()
    strided = torch.randn(*q.shape[:3], 128, dtype=q.dtype)[..., ::2]
    with pytest.raises(ValueError, match=r"^q: expected the last dimension contiguous "
                                         r"\(stride 1\), got strides \(102400, 512, 128, 2\)"):
        call(strided, k, v)


def test_row_stride_not_a_multiple_of_8():
    q, k, v = qkv()
    rows = torch.randn(1, k.shape[1], 2 * 64 + 4, dtype=k.dtype)
    odd_k = rows[..., : 2 * 64].unflatten(-1, (2, 64))
    assert odd_k.stride() == (300 * 132, 132, 64, 1)
    with pytest.raises(ValueError, match=r"^k: expected every stride but the last to be a "
                                         r"multiple of 8 elements .* got strides "
                                         r"\(39600, 132, 64, 1\)"):
        call(q, odd_k, v)


def test_head_stride_not_a_multiple_of_8():
    q, k, v = qkv()
    odd_v = torch.randn(*v.shape[:3], 68, dtype=v.dtype)[..., :64]
    with pytest.raises(ValueError, match=r"^v: expected every stride but the last .* "
                                         r"got strides \(40800, 136, 68, 1\)"):
        call(q, k, odd_v)


def test_misaligned_storage_offset():
    q, k, v = qkv()
    flat = torch.randn(q.numel() + 1, dtype=q.dtype)
    shifted = flat[1:].view(q.shape)
    with pytest.raises(ValueError, match=r"^q: expected a data pointer aligned to 16 bytes "
                                         r"\(TMA\), got storage offset 1 elements \(2 bytes\)"):
        call(shifted, k, v)


def test_misaligned_base_address():
    q, k, v = qkv()
    nbytes = q.numel() * q.element_size()
    raw = bytearray(nbytes + 32)
    address = torch.frombuffer(raw, dtype=torch.uint8).data_ptr()
    offset = (2 - address) % 16  # base address 2 bytes past a 16-byte boundary
    misaligned = torch.frombuffer(raw, dtype=q.dtype, offset=offset, count=q.numel()).view(q.shape)
    assert misaligned.storage_offset() == 0 and misaligned.data_ptr() % 16 == 2
    with pytest.raises(ValueError, match=r"^q: expected a data pointer aligned to 16 bytes "
                                         r"\(TMA\), got address 0x[0-9a-f]+2$"):
        call(misaligned, k, v)


# ---- masks ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ("skip_in", "skip_out", "must_compute"))
def test_mask_wrong_dtype(name):
    q, k, v = qkv()
    masks = dict(zip(("skip_in", "skip_out", "must_compute"), masks_for(q, k)))
    masks[name] = masks[name].long()
    with pytest.raises(TypeError, match=rf"^{name} must have dtype torch.int32, got torch.int64"):
        call(q, k, v, **masks)


@pytest.mark.parametrize("name", ("skip_in", "skip_out"))
def test_mask_wrong_shape(name):
    q, k, v = qkv(seqlen_q=200)  # Tm = 2
    masks = dict(zip(("skip_in", "skip_out"), masks_for(q, k)))
    masks[name] = masks[name][:, :, :1].contiguous()
    with pytest.raises(ValueError, match=rf"^{name} must have shape \(1, 4, 2, 1\), "
                                         rf"got \(1, 4, 1, 1\)"):
        call(q, k, v, **masks)


def test_must_compute_wrong_shape():
    q, k, v = qkv()
    with pytest.raises(ValueError, match=r"^must_compute must have shape \(1,\), got \(2,\)"):
        call(q, k, v, must_compute=torch.zeros(2, dtype=torch.int32))


@pytest.mark.parametrize("name", ("skip_in", "skip_out"))
def test_mask_not_contiguous(name):
    q, k, v = qkv(seqlen_q=200)
    masks = dict(zip(("skip_in", "skip_out"), masks_for(q, k)))
    wide = torch.zeros(*masks[name].shape[:3], 2, dtype=torch.int32)
    masks[name] = wide[..., :1]
    with pytest.raises(ValueError, match=rf"^{name} must be contiguous, got strides \(16, 4, 2, 1\)"):
        call(q, k, v, **masks)


def test_mask_on_another_device():
    q, k, v = qkv()
    skip_in, _, _ = masks_for(q, k)
    with pytest.raises(ValueError, match=r"^skip_in must be on device cpu, got meta"):
        validate_forward(q, k, v, skip_in=skip_in.to("meta"))


def test_mask_not_a_tensor():
    q, k, v = qkv()
    skip_in, _, _ = masks_for(q, k)
    with pytest.raises(TypeError, match=r"^skip_in must be a torch.Tensor, got list"):
        validate_forward(q, k, v, skip_in=skip_in.tolist())


# ---- aliasing --------------------------------------------------------------------------------------

def test_skip_out_is_skip_in():
    q, k, v = qkv()
    skip_in, _, _ = masks_for(q, k)
    with pytest.raises(ValueError, match=r"^skip_out: expected memory disjoint from skip_in "
                                         r".* got overlapping tensors"):
        call(q, k, v, skip_in, skip_in, -4.0)


def test_skip_out_overlaps_skip_in():
    q, k, v = qkv()
    skip_in, _, _ = masks_for(q, k)
    buffer = torch.zeros(2 * skip_in.numel(), dtype=torch.int32)
    n = skip_in.numel()
    first, overlapping = buffer[:n].view(skip_in.shape), buffer[n - 1: 2 * n - 1].view(skip_in.shape)
    with pytest.raises(ValueError, match=r"^skip_out: expected memory disjoint from skip_in"):
        call(q, k, v, first, overlapping, -4.0)


@pytest.mark.parametrize("name", ("q", "k", "v"))
def test_skip_out_aliases_an_input(name):
    args = dict(zip("qkv", qkv()))
    skip_in, _, _ = masks_for(args["q"], args["k"])
    words = args[name].view(torch.int32).view(-1)
    skip_out = words[: skip_in.numel()].view(skip_in.shape)
    with pytest.raises(ValueError, match=rf"^skip_out: expected memory disjoint from {name}"):
        call(**args, skip_in=skip_in, skip_out=skip_out)


def test_skip_out_aliases_must_compute():
    q, k, v = qkv(batch=1, heads_q=1, heads_kv=1, seqlen_q=100)  # mask [1, 1, 1, 1]
    must_compute = torch.zeros(1, dtype=torch.int32)
    with pytest.raises(ValueError, match=r"^skip_out: expected memory disjoint from must_compute"):
        call(q, k, v, skip_out=must_compute.view(1, 1, 1, 1), must_compute=must_compute)


def test_skip_out_is_skip_in_through_from_numpy_twice():
    q, k, v = qkv()
    skip_in, _, _ = masks_for(q, k)
    words = skip_in.numpy().copy()
    first, second = torch.from_numpy(words), torch.from_numpy(words)
    assert not torch._C._is_alias_of(first, second)  # one memory, two storages
    before = words.copy()
    with pytest.raises(ValueError, match=r"^skip_out: expected memory disjoint from skip_in "
                                         r".* got overlapping tensors"):
        call(q, k, v, first, second, -4.0)
    assert np.array_equal(words, before), "a failed call wrote skip_out"


def test_skip_out_partially_overlaps_skip_in_through_dlpack():
    q, k, v = qkv()
    skip_in, _, _ = masks_for(q, k)
    n = skip_in.numel()
    buffer = torch.zeros(2 * n, dtype=torch.int32)
    first = buffer[:n].view(skip_in.shape)
    # The last word of first is the first word of overlapping, reached through a new storage.
    overlapping = torch.from_dlpack(buffer[n - 1: 2 * n - 1]).view(skip_in.shape)
    assert not torch._C._is_alias_of(first, overlapping)
    assert overlapping.data_ptr() == first[-1, -1, -1, -1:].data_ptr()
    with pytest.raises(ValueError, match=r"^skip_out: expected memory disjoint from skip_in"):
        call(q, k, v, first, overlapping, -4.0)
    assert torch.equal(buffer, torch.zeros_like(buffer)), "a failed call wrote skip_out"


def test_skip_out_partially_overlaps_q_through_dlpack():
    q, k, v = qkv()
    skip_in, _, _ = masks_for(q, k)
    words = torch.from_dlpack(q.view(torch.int32).view(-1)[5: 5 + skip_in.numel()])
    with pytest.raises(ValueError, match=r"^skip_out: expected memory disjoint from q"):
        call(q, k, v, skip_in, words.view(skip_in.shape), -4.0)


def test_adjacent_masks_through_two_storages_are_accepted():
    q, k, v = qkv()
    skip_in, _, _ = masks_for(q, k)
    n = skip_in.numel()
    words = np.zeros(2 * n, dtype=np.int32)
    first, second = torch.from_numpy(words[:n]), torch.from_numpy(words[n:])
    first.copy_(skip_in.view(-1))
    call(q, k, v, first.view(skip_in.shape), second.view(skip_in.shape), -4.0)
    assert torch.equal(first, skip_in.view(-1))


# ---- scalars ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("threshold", (math.nan, 0.0, -0.0, 1.0, 10.0, math.inf))
def test_bad_threshold(threshold):
    q, k, v = qkv()
    skip_in, skip_out, _ = masks_for(q, k)
    with pytest.raises(ValueError, match=rf"^threshold: expected a finite negative float or -inf "
                                         rf".* got {threshold}$"):
        call(q, k, v, skip_in, skip_out, threshold)


def test_threshold_not_a_number():
    q, k, v = qkv()
    with pytest.raises(TypeError, match=r"^threshold: expected a float, got str"):
        validate_forward(q, k, v, threshold="-10")


@pytest.mark.parametrize("threshold", (-math.inf, -1e-6, -10, -1e4))
def test_good_threshold(threshold):
    q, k, v = qkv()
    skip_in, skip_out, _ = masks_for(q, k)
    call(q, k, v, skip_in, skip_out, threshold)


FLOAT32 = torch.finfo(torch.float32)


@pytest.mark.parametrize("scale", (
    0.0, -0.125, math.nan, math.inf, -math.inf,
    1e39,  # float32 inf
    2.0 * FLOAT32.max,
    FLOAT32.max,  # finite, but times log2(e) it is inf in float32
    0.6 * FLOAT32.max,
    1e-50,  # float32 0
    FLOAT32.tiny / 2,  # float32 subnormal
))
def test_bad_softmax_scale(scale):
    q, k, v = qkv()
    message = (f"softmax_scale: expected None or a positive finite float in "
               f"[{FLOAT32.tiny}, {FLOAT32.max / 2}] (float32's normal range, at most half "
               f"its max: the kernel scales it by log2(e)), got {scale}")
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        call(q, k, v, softmax_scale=scale)


@pytest.mark.parametrize("scale", (FLOAT32.tiny, FLOAT32.max / 2, 1))
def test_softmax_scale_at_its_bounds_is_accepted(scale):
    q, k, v = qkv()
    assert validate_forward(q, k, v, softmax_scale=scale).softmax_scale == scale


def test_softmax_scale_not_a_number():
    q, k, v = qkv()
    with pytest.raises(TypeError, match=r"^softmax_scale: expected None or a float, got str"):
        validate_forward(q, k, v, softmax_scale="0.1")


# ---- 32-bit sizes -------------------------------------------------------------------------------

@pytest.mark.parametrize("name, dim, dim_name", (
    ("q", 0, "batch"), ("q", 1, "seqlen_q"), ("q", 2, "heads_q"),
    ("k", 1, "seqlen_k"), ("v", 1, "seqlen_k"), ("v", 2, "heads_kv"),
))
def test_size_beyond_int32_is_rejected(name, dim, dim_name):
    args = dict(zip("qkv", qkv(batch=1, seqlen_q=1, seqlen_k=1, heads_q=1, heads_kv=1)))
    sizes = list(args[name].shape)
    sizes[dim] = 2**31
    args[name] = args[name].expand(sizes)  # stride 0: no memory behind it
    message = (f"{name}: expected {dim_name} <= 2147483647 (the kernel takes 32-bit sizes), "
               f"got {dim_name}=2147483648 (shape {tuple(sizes)})")
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        call(**args)


def test_size_at_int32_max_is_accepted():
    q = torch.empty(1, 128, 1, 64, dtype=torch.bfloat16, device="meta")
    k = torch.empty(1, 2**31 - 1, 1, 64, dtype=torch.bfloat16, device="meta")
    assert validate_forward(q, k, k).seqlen_k == 2**31 - 1


# ---- mask length limit ----------------------------------------------------------------------

def _meta_call(seqlen_k):
    """Shapes only (meta tensors): a 1M-key problem without allocating it."""
    q = torch.empty(1, 128, 1, 64, dtype=torch.bfloat16, device="meta")
    k = torch.empty(1, seqlen_k, 1, 64, dtype=torch.bfloat16, device="meta")
    grid = liteattn.tile_grid(128, seqlen_k, 64, torch.bfloat16)
    skip_in = torch.empty(1, 1, 1, grid.num_words, dtype=torch.int32, device="meta")
    return q, k, k, skip_in


def test_masks_beyond_the_longest_row_rejected():
    limit = liteattn.tiles.MAX_MASK_WORDS * 32 * 128
    q, k, v, skip_in = _meta_call(limit + 1)
    with pytest.raises(ValueError, match=rf"k: skip masks support seqlen_k <= {limit} .*got seqlen_k={limit + 1}"):
        validate_forward(q, k, v, skip_in=skip_in)


def test_masks_at_the_longest_row_accepted():
    q, k, v, skip_in = _meta_call(liteattn.tiles.MAX_MASK_WORDS * 32 * 128)
    assert validate_forward(q, k, v, skip_in=skip_in).words == liteattn.tiles.MAX_MASK_WORDS
    # Without masks there is no such limit.
    q, k, v, _ = _meta_call(liteattn.tiles.MAX_MASK_WORDS * 32 * 128 + 1)
    validate_forward(q, k, v)
