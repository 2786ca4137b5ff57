"""``python -m liteattn demo`` at a tiny size, through main() and as a subprocess."""

import io
import os
import random
import re
import subprocess
import sys
from pathlib import Path

from liteattn.__main__ import main

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
