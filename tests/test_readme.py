"""The README's diffusers example runs as written (it is the first python block of its
"Use it in diffusers" section)."""

import pathlib
import re

import pytest

pytest.importorskip("diffusers", reason="diffusers is not installed (pip install diffusers)")

README = pathlib.Path(__file__).resolve().parents[1] / "README.md"


def diffusers_example() -> str:
    text = README.read_text()
    section = text.split("## Use it in diffusers", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```python\n(.*?)```", section, flags=re.S)
    assert blocks, "the README's diffusers section has no python block"
    return blocks[0]


def test_readme_diffusers_example_runs(capsys):
    exec(compile(diffusers_example(), "README.md", "exec"), {"__name__": "__readme__"})
    printed = capsys.readouterr().out
    assert "self-attention layers now run through liteattn" in printed
    assert "skipped per step" in printed
