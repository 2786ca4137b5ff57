"""torch.ops.liteattn.forward under autograd: inference-only.

Inputs that require grad run the same forward as inputs that do not, without PyTorch's
deprecated autograd fallback (and its warning); a backward through the outputs raises an
error that says the op has none. torch.library.register_autograd cannot register this:
it refuses ops that mutate an argument (skip_out), so ops.py registers the Autograd kernel
that register_autograd would.
"""

import math
import warnings

import pytest
import torch

import liteattn
from test_op import junk_like, must_compute_for, peaked_inputs, random_mask

NO_BACKWARD = r"^liteattn\.forward is inference-only and has no backward; "


def inputs_with_masks():
    q, k, v = peaked_inputs(batch=1, seqlen_q=140, seqlen_k=300, heads_q=2, heads_kv=1)
    skip_in = random_mask(q, k)
    return q, k, v, skip_in, must_compute_for(q, k, 2)


def requiring_grad(tensors, which):
    return [t.detach().clone().requires_grad_(name in which) for name, t in zip("qkv", tensors)]


@pytest.mark.parametrize("which", ("q", "k", "v", "qkv"))
def test_forward_with_requires_grad_inputs_is_the_plain_forward(which):
    q, k, v, skip_in, must_compute = inputs_with_masks()
    expected_skip = junk_like(skip_in)
    expected = liteattn.forward(q, k, v, skip_in, expected_skip, -4.0, 0.1, must_compute)
    assert not expected[0].requires_grad

    skip_out = junk_like(skip_in)
    grad_q, grad_k, grad_v = requiring_grad((q, k, v), which)
    out, lse = liteattn.forward(grad_q, grad_k, grad_v, skip_in, skip_out, -4.0, 0.1,
                                must_compute)

    assert torch.equal(out, expected[0])
    assert torch.equal(lse, expected[1])
    assert torch.equal(skip_out, expected_skip)
    assert out.requires_grad and lse.requires_grad  # so a backward reaches the op and fails


@pytest.mark.parametrize("via", ("backward", "autograd.grad"))
@pytest.mark.parametrize("output", ("out", "lse"))
def test_backward_raises_that_the_op_has_none(output, via):
    q, k, v, skip_in, _ = inputs_with_masks()
    grad_q, grad_k, grad_v = requiring_grad((q, k, v), "qkv")
    out, lse = liteattn.forward(grad_q, grad_k, grad_v, skip_in, junk_like(skip_in), -4.0)
    loss = out.float().sum() if output == "out" else lse.sum()
    with pytest.raises(RuntimeError, match=NO_BACKWARD + r"run it under torch\.no_grad\(\)"):
        if via == "backward":
            loss.backward()
        else:
            torch.autograd.grad(loss, (grad_q, grad_k, grad_v))
    assert grad_q.grad is None


def test_no_warning_in_forward_or_backward():
    q, k, v, skip_in, _ = inputs_with_masks()
    grad_q, grad_k, grad_v = requiring_grad((q, k, v), "qkv")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out, _ = liteattn.forward(grad_q, grad_k, grad_v, skip_in, junk_like(skip_in), -4.0)
        with pytest.raises(RuntimeError, match=NO_BACKWARD):
            out.float().sum().backward()
    assert [str(w.message) for w in caught] == []


@pytest.mark.parametrize("mode", (torch.no_grad, torch.inference_mode))
def test_requires_grad_inputs_under_no_grad_and_inference_mode(mode):
    q, k, v, skip_in, must_compute = inputs_with_masks()
    expected_skip = junk_like(skip_in)
    expected = liteattn.forward(q, k, v, skip_in, expected_skip, -4.0, None, must_compute)
    skip_out = junk_like(skip_in)
    with mode():
        out, lse = liteattn.forward(*requiring_grad((q, k, v), "qkv"), skip_in, skip_out, -4.0,
                                    None, must_compute)
    assert not out.requires_grad and not lse.requires_grad
    assert torch.equal(out, expected[0]) and torch.equal(lse, expected[1])
    assert torch.equal(skip_out, expected_skip)


def test_skip_out_version_advances():
    """Autograd must still see skip_out written, as the fallback it replaces made it."""
    q, k, v, skip_in, _ = inputs_with_masks()
    skip_out = junk_like(skip_in)
    for grad_inputs in ("", "q"):
        before = skip_out._version
        liteattn.forward(*requiring_grad((q, k, v), grad_inputs), skip_in, skip_out, -4.0)
        assert skip_out._version > before


@pytest.mark.parametrize("bad", ("threshold", "scale", "alias"))
def test_failed_call_with_requires_grad_inputs_leaves_skip_out_untouched(bad):
    q, k, v, skip_in, _ = inputs_with_masks()
    skip_out = junk_like(skip_in) ^ random_mask(q, k)
    kwargs = dict(skip_in=skip_in, skip_out=skip_out, threshold=-4.0)
    if bad == "threshold":
        kwargs["threshold"] = math.nan
    elif bad == "scale":
        kwargs["softmax_scale"] = 1e39
    else:
        kwargs["skip_in"] = skip_out
    before, version = skip_out.clone(), skip_out._version
    with pytest.raises(ValueError):
        liteattn.forward(*requiring_grad((q, k, v), "qkv"), **kwargs)
    assert torch.equal(skip_out, before) and skip_out._version == version


@pytest.mark.parametrize("masks", ("none", "all"))
def test_opcheck_with_requires_grad_inputs(masks):
    q, k, v, skip_in, must_compute = inputs_with_masks()
    args = tuple(requiring_grad((q, k, v), "qkv"))
    if masks == "all":
        args += (skip_in, junk_like(skip_in), -4.0, 0.1, must_compute)
    # test_autograd_registration is the check the fallback failed. opcheck's
    # test_aot_dispatch_* run an eager backward and compare gradients, which an
    # inference-only op cannot pass; tests/test_op.py runs them without requires_grad.
    torch.library.opcheck(
        torch.ops.liteattn.forward.default, args,
        test_utils=("test_schema", "test_autograd_registration", "test_faketensor"),
    )


def _step(q, k, v, skip_in, skip_out):
    out, lse = liteattn.forward(q * 1.0, k, v, skip_in, skip_out, -4.0)
    return out.float() * 2.0, lse + 1.0


@pytest.mark.parametrize("backend", ("aot_eager", "inductor"))
def test_compile_fullgraph_with_requires_grad_inputs_under_no_grad(backend):
    torch._dynamo.reset()
    q, k, v, skip_in, _ = inputs_with_masks()
    expected_skip, skip_out = junk_like(skip_in), junk_like(skip_in)
    expected = _step(q, k, v, skip_in, expected_skip)
    compiled = torch.compile(_step, backend=backend, fullgraph=True)
    with torch.no_grad():
        got = compiled(*requiring_grad((q, k, v), "qkv"), skip_in, skip_out)
    assert torch.equal(got[0], expected[0]) and torch.equal(got[1], expected[1])
    assert torch.equal(skip_out, expected_skip)


@pytest.mark.parametrize("backend", ("aot_eager", "inductor"))
@pytest.mark.parametrize("which, output", (("q", 0), ("k", 1), ("qkv", 0)), ids=("q-out", "k-lse", "qkv-out"))
def test_compile_with_grad_enabled_runs_and_raises_only_in_backward(backend, which, output):
    """AOTAutograd traces the backward when it compiles a graph whose outputs require
    grad: compiling and running the forward must work as in eager mode, and only a
    backward raises, rather than returning gradients that are silently wrong."""
    torch._dynamo.reset()
    q, k, v, skip_in, _ = inputs_with_masks()
    expected_skip, skip_out = junk_like(skip_in), junk_like(skip_in)
    expected = _step(q, k, v, skip_in, expected_skip)
    # Inductor's on-disk cache keys on the graph, not on the autograd.Function's Python
    # source: a warm cache would hide a backward that raises while it is traced.
    with torch._inductor.config.patch(force_disable_caches=True):
        compiled = torch.compile(_step, backend=backend, fullgraph=True)
        got = compiled(*requiring_grad((q, k, v), which), skip_in, skip_out)
    assert got[output].requires_grad
    assert torch.equal(got[0].detach(), expected[0]) and torch.equal(got[1].detach(), expected[1])
    assert torch.equal(skip_out, expected_skip)
    with pytest.raises(RuntimeError, match=NO_BACKWARD):
        got[output].sum().backward()
