"""pytest plugin (-p fake_kernel): runs the GPU tests on the CPU with a fake kernel.

FAKE=<mode> picks the fake. "correct" is the reference (float32, as the op's CPU path);
the others are wrong in one way each: out_off_3pct, lse_plus_inf (+inf where -inf is
due), lse_unwritten, all_marked, skip_out_poison (skip_out never written),
unwritten_last_word, no_propagation (skip_in bits dropped from skip_out) and
ignore_must_compute. Both the direct binding call (kernel_utils.kernel_forward, as
imported by the test modules) and the op (liteattn.forward) are replaced, so
test_kernel_skip, test_kernel and test_op's GPU tests run on CPU tensors (those that
need CUDA itself, such as graphs, cuDNN or compile, still fail here). A changed GPU
test can so be checked before a GPU is at hand:

    FAKE=correct PYTHONPATH=python:tests python -m pytest -p fake_kernel tests/test_kernel_skip.py
    FAKE=all_marked PYTHONPATH=python:tests python -m pytest -p fake_kernel tests/test_kernel_skip.py

tests/test_gpu_tests_on_fakes.py runs a few such pairs in CI.
"""

import functools
import math
import os
import sys
import types

import pytest
import torch

MODE = os.environ.get("FAKE", "correct")


def _grid(q, k):
    from liteattn import tiles
    return tiles.tile_grid(q.shape[1], k.shape[1], q.shape[3], q.dtype)


def corrupt(out, lse, skip_out, skip_in, grid):
    """Applies MODE's fault to one call's results; skip_out may be None."""
    from liteattn import skipmask
    if MODE == "out_off_3pct":
        out = (out.float() * 1.03).to(out.dtype)
    elif MODE == "lse_plus_inf":
        lse = torch.where(lse == -math.inf, torch.full_like(lse, math.inf), lse)
    elif MODE == "lse_unwritten":
        # The last row of every head left as whatever the allocation held.
        fresh = torch.empty_like(lse)
        fresh[..., :-1] = lse[..., :-1]
        lse = fresh
    elif skip_out is not None and MODE == "all_marked":
        shape = skip_out.shape[:3] + (grid.num_key_tiles,)
        skip_out.copy_(skipmask.tiles_to_words(torch.ones(shape, dtype=torch.bool)))
    elif skip_out is not None and MODE == "skip_out_poison":
        skip_out.fill_(POISON[0])
    elif skip_out is not None and MODE == "unwritten_last_word":
        skip_out[..., -1] = POISON[0]
    elif skip_out is not None and MODE == "no_propagation":
        if skip_in is not None:
            kept = ~skipmask.words_to_tiles(skip_in, grid.num_key_tiles)
            tiles_ = skipmask.words_to_tiles(skip_out, grid.num_key_tiles) & kept
            skip_out.copy_(skipmask.tiles_to_words(tiles_))
    return out, lse


POISON = [None]


def fake_kernel_forward(q, k, v, *, skip_in=None, decide=False, threshold=-10.0,
                        must_compute=None, softmax_scale=None, workspace_out=None):
    import kernel_utils
    from liteattn import reference
    grid = _grid(q, k)
    POISON[0] = kernel_utils.MASK_POISON
    skip_out = None
    if decide:
        skip_out = torch.full((q.shape[0], q.shape[2], grid.num_query_tiles, grid.num_words),
                              kernel_utils.MASK_POISON, dtype=torch.int32)
    mc = None if MODE == "ignore_must_compute" else must_compute
    out, lse = reference.reference_forward(q, k, v, skip_in, skip_out, threshold, softmax_scale,
                                           mc, compute_dtype=torch.float32)
    out, lse = corrupt(out, lse, skip_out, skip_in, grid)
    return out, lse, skip_out


REAL_FORWARD = None


def fake_op_forward(q, k, v, skip_in=None, skip_out=None, threshold=-10.0,
                    softmax_scale=None, must_compute=None):
    import kernel_utils
    POISON[0] = int(skip_out.flatten()[0]) if skip_out is not None else kernel_utils.MASK_POISON
    mc = None if MODE == "ignore_must_compute" else must_compute
    out, lse = REAL_FORWARD(q, k, v, skip_in, skip_out, threshold, softmax_scale, mc)
    return corrupt(out, lse, skip_out, skip_in, _grid(q, k))


def _cpu(fn):
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        kwargs.pop("device", None)
        return fn(*args, device="cpu", **kwargs)
    return wrapper


def _cpu_positional(fn):
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        args = tuple("cpu" if isinstance(a, str) and a == "cuda" else a for a in args)
        if "device" in kwargs:
            kwargs["device"] = "cpu"
        return fn(*args, **kwargs)
    return wrapper


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    global REAL_FORWARD
    conftest = sys.modules["conftest"]
    conftest.HOPPER_SKIP_REASON = None  # run the gpu-marked tests here
    torch.set_num_threads(2)
    torch.Tensor.cuda = lambda self, *a, **kw: self
    torch.cuda.synchronize = lambda *a, **kw: None
    torch.cuda.get_device_properties = lambda *a: types.SimpleNamespace(multi_processor_count=132)
    import liteattn
    import kernel_utils
    REAL_FORWARD = liteattn.forward
    liteattn.forward = fake_op_forward
    for name in ("test_kernel_skip", "test_kernel", "test_op"):
        module = sys.modules.get(name)
        if module is None:
            continue
        if hasattr(module, "DEVICE"):
            module.DEVICE = "cpu"
        if hasattr(module, "kernel_forward"):
            module.kernel_forward = fake_kernel_forward
        for builder in ("random_qkv", "ramped_qkv"):
            if hasattr(module, builder):
                setattr(module, builder, _cpu(getattr(kernel_utils, builder)))
        if name == "test_op":
            module.peaked_inputs = _cpu_positional(module.peaked_inputs)
