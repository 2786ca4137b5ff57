"""The GPU tests' own logic, checked on the CPU (CI has no GPU to run them on).

tests/fake_kernel.py stands a fake in for the kernel: FAKE=correct is the float32
reference, and every other mode is wrong in one way. A GPU test must pass with the
correct fake, and fail with each fake it exists to catch. Each case runs pytest in a
subprocess, because the plugin patches torch.cuda for the whole process.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest

TESTS = Path(__file__).parent
ROOT = TESTS.parent
SKIP = "tests/test_kernel_skip.py::"
MULTI_STEP = SKIP + "test_multi_step_masks_only_grow"
FOUR_COMBINATIONS = SKIP + "test_all_four_combinations"
ALL_SKIPPED = SKIP + "test_all_skipped_rows_give_zero_and_minus_inf"
OP = "tests/test_op.py::test_gpu_op_matches_float64_reference"

CASES = [
    # (fake, GPU tests, whether every one of them must pass)
    ("correct", [MULTI_STEP, FOUR_COMBINATIONS, ALL_SKIPPED, OP], True),
    ("all_marked", [MULTI_STEP, FOUR_COMBINATIONS], False),
    ("skip_out_poison", [FOUR_COMBINATIONS], False),
    ("unwritten_last_word", [FOUR_COMBINATIONS], False),
    ("no_propagation", [MULTI_STEP], False),
    ("lse_plus_inf", [ALL_SKIPPED], False),
    ("out_off_3pct", [OP], False),
]


def run_on_fake(fake, tests):
    env = dict(os.environ, FAKE=fake,
               PYTHONPATH=os.pathsep.join([str(ROOT / "python"), str(TESTS),
                                           os.environ.get("PYTHONPATH", "")]))
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "fake_kernel", "-p", "no:cacheprovider", "-q",
         "-rfE", "--tb=line", *tests],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600,
    )


@pytest.mark.parametrize("fake, tests, must_pass", CASES, ids=[c[0] for c in CASES])
def test_gpu_tests_on_a_fake_kernel(fake, tests, must_pass):
    result = run_on_fake(fake, tests)
    report = result.stdout[-3000:] + result.stderr[-2000:]
    if must_pass:
        assert result.returncode == 0, f"a GPU test fails with the correct fake:\n{report}"
        assert " passed" in result.stdout and " skipped" not in result.stdout, report
    else:
        missed = [t for t in tests if f"FAILED {t}" not in result.stdout]
        assert result.returncode == 1 and not missed, (
            f"the fake {fake!r} got through {missed or tests}:\n{report}"
        )
