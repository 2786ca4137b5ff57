"""``torch.ops.liteattn.forward``: the op of DESIGN.md section 5, registered with torch.library.

One call is one attention, a pure function of its inputs plus the skip_out it writes.
CPU runs the reference, CUDA the compiled kernel through ``liteattn._C``, and the fake
(meta) kernel gives shapes only, so ``torch.compile(fullgraph=True)`` traces the op.
Every kernel validates first (validation.py) and nothing here reads tensor data or
synchronises, so the CUDA path can be captured in a CUDA graph. The op is inference-only:
inputs that require grad are accepted, and a backward through the outputs raises.
"""

from __future__ import annotations

from typing import Optional

import torch

from . import reference, tiles
from .validation import CallShape, kernel_strides, validate_forward

SCHEMA = (
    "forward(Tensor q, Tensor k, Tensor v, Tensor? skip_in=None, "
    "Tensor(a!)? skip_out=None, float threshold=-10.0, "
    "float? softmax_scale=None, Tensor? must_compute=None) -> (Tensor, Tensor)"
)

_lib = torch.library.Library("liteattn", "DEF")
_lib.define(SCHEMA)
# Held here, not looked up per call: the Autograd kernel redispatches to this overload
# even where torch.ops.liteattn.forward is patched (tests wrap it to record calls).
_OVERLOAD = torch.ops.liteattn.forward.default


def _outputs(q: torch.Tensor, shape: CallShape):
    out = torch.empty(
        (shape.batch, shape.seqlen_q, shape.heads_q, shape.head_dim),
        dtype=q.dtype, device=q.device,
    )
    lse = torch.empty(
        (shape.batch, shape.heads_q, shape.seqlen_q), dtype=torch.float32, device=q.device
    )
    return out, lse


def _forward_fake(q, k, v, skip_in=None, skip_out=None, threshold=-10.0,
                  softmax_scale=None, must_compute=None):
    shape = validate_forward(q, k, v, skip_in, skip_out, threshold, softmax_scale, must_compute)
    return _outputs(q, shape)


def _forward_cpu(q, k, v, skip_in=None, skip_out=None, threshold=-10.0,
                 softmax_scale=None, must_compute=None):
    shape = validate_forward(q, k, v, skip_in, skip_out, threshold, softmax_scale, must_compute)
    out, lse = reference.reference_forward(
        q, k, v, skip_in, skip_out, threshold, shape.softmax_scale, must_compute,
        block_shape=(shape.block_m, shape.block_n),
    )
    # The fake kernel promises fresh contiguous outputs; hold the reference to it.
    return out.to(q.dtype).contiguous(), lse.to(torch.float32).contiguous()


def _forward_cuda(q, k, v, skip_in=None, skip_out=None, threshold=-10.0,
                  softmax_scale=None, must_compute=None):
    shape = validate_forward(q, k, v, skip_in, skip_out, threshold, softmax_scale, must_compute)
    binding = _kernels()
    _require_hopper(q.device)
    out, lse = _outputs(q, shape)
    # Scratch for the persistent scheduler (tile counter, heaviest-first order); the
    # launch resets what it needs on the stream.
    workspace_ints = binding.workspace_ints(
        shape.batch, shape.seqlen_q, shape.heads_q, shape.head_dim,
        tiles._dtype_name(q.dtype), skip_in is not None,
    )
    workspace = torch.empty(workspace_ints, dtype=torch.int32, device=q.device)
    with torch.cuda.device(q.device):
        binding.forward(
            q=q.data_ptr(), k=k.data_ptr(), v=v.data_ptr(),
            out=out.data_ptr(), lse=lse.data_ptr(),
            q_strides=kernel_strides(q), k_strides=kernel_strides(k),
            v_strides=kernel_strides(v), o_strides=kernel_strides(out),
            batch=shape.batch, seqlen_q=shape.seqlen_q, seqlen_k=shape.seqlen_k,
            heads_q=shape.heads_q, heads_kv=shape.heads_kv, head_dim=shape.head_dim,
            dtype=tiles._dtype_name(q.dtype),
            softmax_scale=float(shape.softmax_scale),
            skip_in=_address(skip_in), skip_out=_address(skip_out),
            must_compute=_address(must_compute),
            threshold=float(threshold),
            workspace=workspace.data_ptr(), workspace_ints=workspace_ints,
            stream=torch.cuda.current_stream(q.device).cuda_stream,
        )
    return out, lse


NO_BACKWARD_MESSAGE = (
    "liteattn.forward is inference-only and has no backward; run it under "
    "torch.no_grad() or torch.inference_mode(), or detach its output, or use "
    "dense attention (torch.nn.functional.scaled_dot_product_attention) where "
    "gradients are needed"
)


@torch.library.custom_op("liteattn::refuse_backward", mutates_args=())
def _refuse_backward(grad_out: torch.Tensor, input_size: list[int]) -> torch.Tensor:
    """The gradient of one input of liteattn.forward: there is none, so this raises.

    An op rather than a raise in the backward itself: AOTAutograd traces the backward
    when torch.compile compiles a graph whose outputs require grad, and a raise there
    would make compiling fail although the forward is fine. Traced, this op is a node
    of the backward graph (its fake kernel gives the shape), so the error comes only
    when a backward actually runs, as in eager mode.
    """
    raise RuntimeError(NO_BACKWARD_MESSAGE)


@_refuse_backward.register_fake
def _refuse_backward_fake(grad_out, input_size):
    return grad_out.new_empty(input_size)


class _InferenceOnly(torch.autograd.Function):
    """The op under autograd: the device's forward, and a backward that refuses.

    No kernel computes gradients. Without an Autograd kernel, PyTorch's deprecated
    fallback would run the CPU reference with grad mode on and fail in backward on the
    reference's in-place ops. With this one, inputs that require grad (computed from
    Parameters outside torch.no_grad) run the plain forward, and only an actual backward
    through the op fails, saying why, in eager mode and under torch.compile alike.
    Only the sizes of q, k and v are kept for that: saving the tensors would hold them
    for as long as the outputs live.
    """

    @staticmethod
    def forward(ctx, keyset, *args):
        ctx.input_sizes = [list(t.shape) for t in args[:3]]
        return _forward_below_autograd(keyset, *args)

    @staticmethod
    def backward(ctx, grad_out, grad_lse):
        # grad_out is materialised (zeros where only lse was used): it carries the
        # dtype and device the gradients of q, k and v would have.
        input_grads = [
            _refuse_backward(grad_out, size) if needed else None
            for size, needed in zip(ctx.input_sizes, ctx.needs_input_grad[1:4])
        ]
        num_other_inputs = len(ctx.needs_input_grad) - 4
        return (None, *input_grads) + (None,) * num_other_inputs


def _forward_below_autograd(keyset, *args):
    with torch._C._AutoDispatchBelowADInplaceOrView():
        result = _OVERLOAD.redispatch(keyset & torch._C._after_ADInplaceOrView_keyset, *args)
    # Below ADInplaceOrView nothing bumps skip_out's version counter (and the binding
    # writes through a raw pointer), so it is bumped here, once a call, as the fallback
    # this kernel replaces did: autograd then notices a saved skip_out being overwritten.
    skip_out = args[4] if len(args) > 4 else None
    if skip_out is not None:
        torch.autograd.graph.increment_version(skip_out)
    return result


def _forward_autograd(keyset, *args):
    # torch.library.register_autograd refuses this op: its schema mutates skip_out, so it
    # is not functional. This is what register_autograd would register, by hand.
    if torch.is_grad_enabled() and torch._C._any_requires_grad(*args):
        return _InferenceOnly.apply(keyset, *args)
    return _forward_below_autograd(keyset, *args)


_lib.impl("forward", _forward_cpu, "CPU")
_lib.impl("forward", _forward_cuda, "CUDA")
_lib.impl("forward", _forward_autograd, "Autograd", with_keyset=True)
torch.library.register_fake("liteattn::forward", _forward_fake, lib=_lib)


def forward(
    q: torch.Tensor,
    k: torch.Tensor,
    v: torch.Tensor,
    skip_in: Optional[torch.Tensor] = None,
    skip_out: Optional[torch.Tensor] = None,
    threshold: float = -10.0,
    softmax_scale: Optional[float] = None,
    must_compute: Optional[torch.Tensor] = None,
):
    """Sparse attention with temporal skip masks (DESIGN.md section 4).

    q: [B, Sq, Hq, D], k, v: [B, Sk, Hkv, D], bf16 or fp16. Returns ``(out, lse)``:
    out [B, Sq, Hq, D] in q's dtype, lse [B, Hq, Sq] float32. When ``skip_out`` is
    given, the next step's mask is written into it; it must not alias ``skip_in``.
    """
    return torch.ops.liteattn.forward(
        q, k, v, skip_in, skip_out, threshold, softmax_scale, must_compute
    )


def has_cuda_kernels() -> bool:
    """Whether ``liteattn._C`` imports and was built with at least one kernel."""
    binding = _binding()
    return binding is not None and len(binding.compiled_archs()) > 0


# ---- the compiled binding and the device it needs ---------------------------------

_BINDING = None
_BINDING_ERROR: Optional[BaseException] = None
_CAPABILITY: dict = {}


def _binding():
    global _BINDING, _BINDING_ERROR
    if _BINDING is None and _BINDING_ERROR is None:
        _BINDING, _BINDING_ERROR = tiles.load_extension()
    return _BINDING


def _kernels():
    binding = _binding()
    if binding is None:
        raise NotImplementedError(
            f"liteattn.forward on CUDA needs the compiled extension liteattn._C, which "
            f"failed to import ({_BINDING_ERROR}); build it (pip install . on a machine "
            f"with nvcc) or run on CPU tensors for the reference implementation"
        )
    if not binding.compiled_archs():
        raise NotImplementedError(
            "liteattn._C was built without CUDA kernels (no architecture compiled); "
            "rebuild it with nvcc for sm_90a, or run on CPU tensors for the reference "
            "implementation"
        )
    return binding


def _require_hopper(device: torch.device):
    index = device.index if device.index is not None else torch.cuda.current_device()
    if index not in _CAPABILITY:
        _CAPABILITY[index] = torch.cuda.get_device_capability(index)
    if _CAPABILITY[index] != (9, 0):
        major, minor = _CAPABILITY[index]
        raise RuntimeError(
            f"liteattn.forward needs a Hopper GPU (compute capability 9.0, sm_90a); "
            f"cuda:{index} ({torch.cuda.get_device_name(index)}) has capability "
            f"{major}.{minor}"
        )


def _address(t: Optional[torch.Tensor]) -> int:
    return 0 if t is None else t.data_ptr()
