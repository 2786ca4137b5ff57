"""Shared test configuration: the `gpu` marker, when GPU tests skip or fail, and a fresh
seed for each GPU test.

A GPU test is marked `@pytest.mark.gpu`. Without a CUDA device of compute capability 9.0
this conftest skips every such test, with the reason. Where a Hopper GPU is present, a
liteattn._C that does not import or has no kernels is a broken build, not a reason to
skip: every GPU test then fails with the import error. Each GPU test that runs seeds
torch with a fresh seed and prints it (attention_utils.seed), so a failure shows the
seed that replays it. Files that want the skip condition explicitly can import it:

    from conftest import requires_hopper
    pytestmark = [pytest.mark.gpu, requires_hopper]

`pytest -m gpu` runs the GPU tests alone, `pytest -m "not gpu"` the others.
"""

import pytest
import torch

from attention_utils import seed  # noqa: F401  (a fixture, for every test module: GPU tests take it through gpu_test_setup)
from liteattn import tiles


def hopper_present():
    """Whether any visible CUDA device has compute capability 9.0."""
    if not torch.cuda.is_available():
        return False
    return any(torch.cuda.get_device_capability(index) == (9, 0)
               for index in range(torch.cuda.device_count()))


def kernel_build_error():
    """Why liteattn._C cannot run kernels, or None when it can."""
    binding, error = tiles.load_extension()
    if binding is None:
        return f"liteattn._C failed to import: {error!r}"
    if not binding.compiled_archs():
        return "liteattn._C was built without CUDA kernels (compiled_archs() is empty)"
    return None


def hopper_skip_reason():
    """Why Hopper tests cannot run on this machine, or None when they can."""
    if not torch.cuda.is_available():
        return "no CUDA device (torch.cuda.is_available() is False)"
    major, minor = torch.cuda.get_device_capability()
    if (major, minor) != (9, 0):
        return f"needs compute capability 9.0, {torch.cuda.get_device_name()} has {major}.{minor}"
    return None


# Asked only where a Hopper GPU is present: elsewhere a missing build is expected.
KERNEL_BUILD_ERROR = kernel_build_error() if hopper_present() else None
# A broken build next to a Hopper GPU must fail the GPU tests, so it never skips them.
HOPPER_SKIP_REASON = None if KERNEL_BUILD_ERROR is not None else hopper_skip_reason()

requires_hopper = pytest.mark.skipif(
    HOPPER_SKIP_REASON is not None, reason=f"Hopper test: {HOPPER_SKIP_REASON}"
)


def compiled_extension():
    """liteattn._C, for a test that compares Python with it. Skips where it is not built;
    fails where a Hopper GPU is present, since there it must be."""
    binding, error = tiles.load_extension()
    if binding is not None:
        return binding
    if hopper_present():
        pytest.fail(f"liteattn._C failed to import on a machine with a Hopper GPU: {error!r}",
                    pytrace=False)
    pytest.skip(f"liteattn._C is not built here ({error}); nothing to compare with")


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "gpu: needs a Hopper GPU (sm_90) and liteattn._C built with kernels"
    )


def pytest_report_header(config):
    if KERNEL_BUILD_ERROR is not None:
        return f"liteattn GPU tests: FAIL, Hopper GPU present but {KERNEL_BUILD_ERROR}"
    if HOPPER_SKIP_REASON is not None:
        return f"liteattn GPU tests: skipped, {HOPPER_SKIP_REASON}"
    return f"liteattn GPU tests: run on {torch.cuda.get_device_name()}"


def pytest_collection_modifyitems(config, items):
    if HOPPER_SKIP_REASON is None:
        return
    skip = pytest.mark.skip(reason=f"Hopper test: {HOPPER_SKIP_REASON}")
    for item in items:
        if "gpu" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def gpu_test_setup(request):
    """Fails a GPU test on a broken build; seeds it (printing the seed) otherwise."""
    if request.node.get_closest_marker("gpu") is None:
        return
    if KERNEL_BUILD_ERROR is not None:
        pytest.fail(f"Hopper GPU present but {KERNEL_BUILD_ERROR}", pytrace=False)
    request.getfixturevalue("seed")
