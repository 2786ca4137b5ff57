"""Helpers shared by the CPU tests of LiteAttention and its diffusers integration: the op
as registered, and a random seed printed with the test's output."""

import random

import pytest
import torch

import liteattn  # noqa: F401  (registers torch.ops.liteattn)

# Captured at import, before any test patches the op, so dense baselines are not recorded
# by spies.
OP = torch.ops.liteattn.forward


@pytest.fixture
def seed():
    """Seeds torch with a fresh random seed and prints it, so a failure can be replayed."""
    s = random.randrange(2**31)
    torch.manual_seed(s)
    print(f"seed {s}")
    return s


__all__ = ["OP", "seed"]
