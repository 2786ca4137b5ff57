"""LiteAttention: temporal sparse attention for video diffusion transformers.

``import liteattn`` registers ``torch.ops.liteattn.forward`` (see ops.py and DESIGN.md).
"""

from . import reference, skipmask
from .attention import LiteAttention
from .ops import forward, has_cuda_kernels
from .tiles import tile_grid, tile_shape

__version__ = "0.1.0"

__all__ = [
    "LiteAttention",
    "__version__",
    "forward",
    "has_cuda_kernels",
    "reference",
    "skipmask",
    "tile_grid",
    "tile_shape",
]
