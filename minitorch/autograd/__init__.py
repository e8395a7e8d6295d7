"""Reverse-mode automatic differentiation: ``backward``, ``grad``, ``Function`` and grad mode."""
from .._legacy import Variable
from .._tensor_ref import ones_like, tensor_type, zeros_like
from .engine import run_backward
from .function import Function, once_differentiable
from .grad_mode import (
    detect_anomaly,
    enable_grad,
    inference_mode,
    is_anomaly_enabled,
    is_grad_enabled,
    no_grad,
    set_detect_anomaly,
    set_grad_enabled,
)


def _make_grads(outputs, grads, create_graph=False):
    Tensor = tensor_type()
    out = []
    for t, g in zip(outputs, grads):
        if g is None:
            if t.requires_grad and t.numel() != 1:
                raise RuntimeError("grad can be implicitly created only for scalar outputs")
            if not t.dtype.is_floating_point:
                raise RuntimeError("grad can be implicitly created only for real scalar outputs "
                                   f"but got {t.dtype}")
            g = _implicit_ones(t, create_graph)
        else:
            if not isinstance(g, Tensor):
                raise TypeError(f"gradients can be either Tensors or None, but got "
                                f"{type(g).__name__}")
            if tuple(g.shape) != tuple(t.shape):
                raise RuntimeError(f"Mismatch in shape: grad_output[0] has a shape of "
                                   f"{tuple(g.shape)} and output[0] has a shape of "
                                   f"{tuple(t.shape)}.".replace("(", "torch.Size([").replace(
                                       ")", "])").replace(",])", "])"))
            if g.dtype != t.dtype:
                g = g.to(t.dtype)
            # the caller's tensor must never become (or be aliased by) a .grad; with
            # create_graph a grad_output that requires grad stays in the graph (double backward)
            g = g.view_as(g) if (create_graph and g.requires_grad) else g.detach()
            g._stolen = True
        out.append(g)
    return out


_ONES = {}


def _implicit_ones(t, create_graph):
    """The implicit gradient 1 of a scalar output. Without create_graph a cached ones tensor per
    (shape, dtype, device) saves a fill launch every step; it is marked so that it is never
    stored as anyone's .grad, and refilled if something wrote to it."""
    if create_graph:
        g = ones_like(t)
        g._stolen = False
        return g
    key = (tuple(t.shape), t.dtype, t.device)
    cached = _ONES.get(key)
    if cached is None or cached[0]._version_counter[0] != cached[1]:
        g = ones_like(t)
        g._stolen = True
        _ONES[key] = cached = (g, g._version_counter[0])
    return cached[0]


def zero_grads(params, set_to_none=True):
    """``zero_grad`` for Module and Optimizer: drop each ``.grad`` (no launch), or zero it in
    place after detaching it from any graph."""
    for p in params:
        g = p.grad
        if g is None:
            continue
        if set_to_none:
            p.grad = None
            continue
        if g.grad_fn is not None:
            g.detach_()
        else:
            g.requires_grad_(False)
        with no_grad():
            g.zero_()


def _as_tuple(x):
    Tensor = tensor_type()
    if x is None:
        return None
    if isinstance(x, Tensor):
        return (x,)
    return tuple(x)


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False, inputs=None):
    """Accumulate into ``.grad`` of the leaves the gradient of ``tensors`` (weighted by
    ``grad_tensors``)."""
    tensors = _as_tuple(tensors)
    grads = _as_tuple(grad_tensors) or (None,) * len(tensors)
    for t in tensors:
        if not t.requires_grad:
            raise RuntimeError("element 0 of tensors does not require grad and does not have a "
                               "grad_fn")
    if retain_graph is None:
        retain_graph = create_graph
    inputs = _as_tuple(inputs)
    if inputs is not None and len(inputs) == 0:
        raise RuntimeError("`inputs` argument to `backward()` cannot be empty.")
    run_backward(tensors, _make_grads(tensors, grads, create_graph), retain_graph, create_graph,
                 inputs=inputs,
                 accumulate=True)


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False,
         only_inputs=True, allow_unused=None, is_grads_batched=False, materialize_grads=False):
    """The gradients of ``outputs`` with respect to ``inputs`` (not accumulated into .grad)."""
    Tensor = tensor_type()
    outputs = _as_tuple(outputs)
    inputs = _as_tuple(inputs)
    for x in inputs:
        if not isinstance(x, Tensor):
            raise RuntimeError("all inputs have to be Tensors or GradientEdges, but got "
                               f"{type(x).__name__}")
    for i, x in enumerate(inputs):
        if not x.requires_grad:
            raise RuntimeError("One of the differentiated Tensors does not require grad")
    for t in outputs:
        if not t.requires_grad:
            raise RuntimeError("element 0 of tensors does not require grad and does not have a "
                               "grad_fn")
    grads = _as_tuple(grad_outputs) or (None,) * len(outputs)
    if retain_graph is None:
        retain_graph = create_graph
    if allow_unused is None:
        allow_unused = materialize_grads
    result = run_backward(outputs, _make_grads(outputs, grads, create_graph), retain_graph,
                          create_graph,
                          inputs=inputs, accumulate=False)
    out = []
    for x, g in zip(inputs, result):
        if g is None:
            if not allow_unused:
                raise RuntimeError("One of the differentiated Tensors appears to not have been "
                                   "used in the graph. Set allow_unused=True if this is the "
                                   "desired behavior.")
            if materialize_grads:
                g = zeros_like(x)
        elif not create_graph:
            g = g.detach()
        out.append(g)
    return tuple(out)


__all__ = ["Function", "Variable", "backward", "grad", "no_grad", "enable_grad", "set_grad_enabled",
           "is_grad_enabled", "inference_mode", "detect_anomaly", "set_detect_anomaly",
           "is_anomaly_enabled", "once_differentiable"]
