"""``python -m liteattn demo`` at a tiny size, through main() and as a subprocess."""

import io
import os
import random
import re
import subprocess
import sys
from pathlib import Path

import pytest
import torch

import liteattn.__main__ as demo_module
from liteattn.__main__ import default_device, main

ROW = re.compile(r"^\s*(\d+)\s+([\d.]+)%\s+([\d.e+-]+)\s+([\d.]+)\s+([\d.]+)$")
TINY = ["--frames", "4", "--height", "8", "--width", "16", "--heads", "2", "--steps", "5", "--device", "cpu"]


def parse(text):
    rows = [ROW.match(line) for line in text.splitlines()]
    return [(int(m[1]), float(m[2]) / 100, float(m[3])) for m in rows if m]


def test_demo_main_prints_table_and_summary(capsys):
    seed = str(random.randrange(1000))
    out = io.StringIO()
    results = main(["demo", *TINY, "--seed", seed], out=out)
    text = out.getvalue()
    assert "4x8x16 = 512 tokens" in text
    assert re.search(r"step\s+skipped\s+rel err\s+time ms", text)
    rows = parse(text)
    assert [r[0] for r in rows] == list(range(5))
    assert rows[0][1] == 0.0, "the first step has no mask yet"
    assert rows[-1][1] > 0, f"no sparsity by the last step (seed {seed}):\n{text}"
    assert all(err < 1e-2 for _, _, err in rows), text
    summary = [line for line in text.splitlines() if line.startswith("summary:")]
    assert len(summary) == 1 and "5 steps" in summary[0] and "final skipped" in summary[0]
    assert [r.skipped for r in results] == sorted(r.skipped for r in results)
    assert all(r.rel_error == r.rel_error for r in results), "NaN error"
    assert "5/5" in capsys.readouterr().err, "the progress bar goes to stderr"


def test_demo_runs_as_a_module():
    root = Path(__file__).resolve().parents[1]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(root / "python"), os.environ.get("PYTHONPATH", "")]))
    proc = subprocess.run(
        [sys.executable, "-m", "liteattn", "demo", *TINY, "--threshold", "-8"],
        capture_output=True, text=True, env=env, timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert len(parse(proc.stdout)) == 5 and "summary:" in proc.stdout
    assert "threshold -8.0" in proc.stdout


@pytest.fixture
def fake_gpu(monkeypatch):
    """A CUDA device of a given compute capability, with the kernels built, as the demo sees it."""
    def make(capability):
        monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
        monkeypatch.setattr(torch.cuda, "get_device_capability", lambda device=None: capability)
        monkeypatch.setattr(demo_module, "has_cuda_kernels", lambda: True)
    return make


@pytest.mark.parametrize("capability, expected", (((9, 0), "cuda"), ((8, 0), "cpu"), ((8, 9), "cpu"),
                                                  ((10, 0), "cpu")))
def test_default_device_is_cuda_only_on_hopper(fake_gpu, capability, expected):
    fake_gpu(capability)
    assert default_device() == expected


def test_default_device_without_kernels_is_cpu(fake_gpu, monkeypatch):
    fake_gpu((9, 0))
    monkeypatch.setattr(demo_module, "has_cuda_kernels", lambda: False)
    assert default_device() == "cpu"


def test_demo_on_a_non_hopper_gpu_runs_the_cpu_reference(fake_gpu):
    fake_gpu((8, 6))
    tiny_without_device = TINY[: TINY.index("--device")]
    out = io.StringIO()
    main(["demo", *tiny_without_device, "--steps", "2"], out=out)
    assert "device cpu (CPU reference)" in out.getvalue()
    assert len(parse(out.getvalue())) == 2


THRESHOLD_EXPECTED = "a finite negative float or -inf (log2 of a probability ratio)"


@pytest.mark.parametrize("argument, value, expected", (
    ("--steps", "0", "an integer >= 1"),
    ("--steps", "-3", "an integer >= 1"),
    ("--steps", "two", "an integer >= 1"),
    ("--frames", "0", "an integer >= 1"),
    ("--height", "0", "an integer >= 1"),
    ("--width", "1.5", "an integer >= 1"),
    ("--heads", "0", "an integer >= 1"),
    ("--threshold", "0", THRESHOLD_EXPECTED),
    ("--threshold", "2.5", THRESHOLD_EXPECTED),
    ("--threshold", "nan", THRESHOLD_EXPECTED),
    ("--threshold", "inf", THRESHOLD_EXPECTED),
    ("--seed", str(2**64), "an integer in [-2**63, 2**64 - 1]"),
))
def test_bad_numeric_argument_is_a_usage_error(capsys, argument, value, expected):
    with pytest.raises(SystemExit) as exit_info:
        main(["demo", *TINY, f"{argument}={value}"])
    assert exit_info.value.code == 2
    assert f"error: argument {argument}: expected {expected}, got {value!r}" in capsys.readouterr().err


def test_steps_one_runs():
    out = io.StringIO()
    results = main(["demo", *TINY, "--steps", "1", "--threshold=-inf"], out=out)
    assert len(results) == 1 and "summary: 1 steps" in out.getvalue()
