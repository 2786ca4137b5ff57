"""Shared test configuration: the `gpu` marker and the skip condition for Hopper tests.

A GPU test is marked `@pytest.mark.gpu`; this conftest skips every such test, with the
reason, unless a CUDA device of compute capability 9.0 is present and liteattn._C was
built with kernels. Files that want the condition explicitly can import it:

    from conftest import requires_hopper
    pytestmark = [pytest.mark.gpu, requires_hopper]

`pytest -m gpu` runs the GPU tests alone, `pytest -m "not gpu"` the others.
"""

import pytest
import torch

import liteattn


def hopper_skip_reason():
    """Why Hopper tests cannot run here, or None when they can."""
    if not torch.cuda.is_available():
        return "no CUDA device (torch.cuda.is_available() is False)"
    major, minor = torch.cuda.get_device_capability()
    if (major, minor) != (9, 0):
        return f"needs compute capability 9.0, {torch.cuda.get_device_name()} has {major}.{minor}"
    if not liteattn.has_cuda_kernels():
        return "liteattn._C is missing or was built without CUDA kernels"
    return None


HOPPER_SKIP_REASON = hopper_skip_reason()

requires_hopper = pytest.mark.skipif(
    HOPPER_SKIP_REASON is not None, reason=f"Hopper test: {HOPPER_SKIP_REASON}"
)


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "gpu: needs a Hopper GPU (sm_90) and liteattn._C built with kernels"
    )


def pytest_collection_modifyitems(config, items):
    if HOPPER_SKIP_REASON is None:
        return
    skip = pytest.mark.skip(reason=f"Hopper test: {HOPPER_SKIP_REASON}")
    for item in items:
        if "gpu" in item.keywords:
            item.add_marker(skip)
