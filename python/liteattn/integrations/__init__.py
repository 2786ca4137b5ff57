"""Integrations of LiteAttention with model libraries.

Each submodule imports its library on import, so ``import liteattn`` never needs them:
``from liteattn.integrations import diffusers`` (needs the ``diffusers`` package).
"""
