"""Every fusion minitorch does, in one place: the deferred Linear and BatchNorm outputs, the fused
ReLU epilogues (Linear+ReLU, BatchNorm+ReLU, also an in-place ReLU) and the fused classifier head
(forward), and the backward fusions the engine may take (Linear absorbing the ReLU before it, the
head absorbing its Linear, BatchNorm absorbing the ReLU after it).

The rule: fusion removes launches, never values or observations. The invariants that keep it:

I1. Deferral is invisible. ``Linear`` and ``BatchNorm`` may leave their output *pending*
    (storage allocated, kernel not launched) so that the very next op can fuse into the same
    launch. At most one tensor is pending. It is computed no later than the next time anything
    reads or writes any tensor's storage (``Tensor._data`` and every kernel launch call
    ``flush()`` first), so its inputs are read before anything can change them, exactly as eager
    PyTorch would.
I2. A fused forward never drops a reachable value. When relu or cross_entropy fuses into the
    pending Linear (or relu into the pending BatchNorm), the same launch also stores the
    pending output (the pre-activation, the logits) — one extra store, no extra launch — so
    ``h``/``logits`` hold torch's values forever after, whatever happens to the weights. Nothing
    is ever recomputed from inputs that may have changed. An in-place ``relu_`` on the pending
    BatchNorm output writes only the activated values: in eager torch too the pre-activation is
    overwritten there, and the tensor's version is bumped as ``relu_`` bumps it.
I3. The autograd graph is never fused. relu(linear(x)) records ReluBackward0 -> AddmmBackward0,
    cross_entropy(linear(x)) records NllLossBackward0 -> AddmmBackward0, each node saving what
    the unfused op saves (same version checks). Hooks, retain_grad, node hooks and
    ``autograd.grad`` targets registered at any time before backward therefore see torch's
    values.
I4. Backward fusion is decided at backward time, by the engine asking ``backward_plan``: a node
    may absorb the node(s) its gradient flows into only when no one can observe the gradient in
    between — the absorbed node has no other contributor (engine dependency count 1, nothing
    buffered), no tensor hooks, no retain_grad, no node pre/post hooks, is not an
    ``autograd.grad`` input, anomaly mode is off and create_graph is False — and only when the
    saved values it reads are the ones the unfused nodes would read (their saved tensors are
    unpacked, with the usual version checks; the bias the head recomputes logits from must be
    unchanged). Otherwise each node runs on its own with the same results. The head may so
    absorb its Linear, that Linear's ReLU, and the Linear before the ReLU when that one's input
    needs no gradient (its dW/db then come from the head's launch).
I5. ``MINITORCH_FUSION=0`` in the environment, or ``minitorch.backends.fusion.enabled = False``,
    turns every fusion off (nothing deferred, nothing fused forward or backward).

Known limit of I1: a write that bypasses minitorch entirely (through a NumPy array sharing
memory with a tensor) made between a Linear and the next minitorch operation is not seen.

Where the pieces live: deferral (I1) and the switch (I5) in ``ops/lazy.py``, at the bottom of the
import order so that every launch and storage access can flush; this module (above
``functions/``, whose Linear, ReLU and cross-entropy it fuses) holds the forward fusions (I2)
and the engine's backward plans (I4). Kernels live in ``ops/matmul.py`` (the epilogue with
``pre_out``/``relu_mask``/``rowsum``) and ``ops/linear_loss.py`` (the head, forward and backward).
"""
import torch

from ._tensor_ref import wrap as _wrap
from .autograd import grad_mode
from .autograd.function import Function
from .functions.linalg import Linear, linear_grads, run_linear
from .functions.loss import CrossEntropy
from .functions.normalization import BatchNorm, batch_norm_grads
from .functions.pointwise import Relu, threshold_backward
from .ops import lazy
from .ops import linear_loss as linear_loss_kernels
from .ops.norm import BatchNormLaunch

__all__ = ["LinearRelu", "LinearCrossEntropy", "BatchNormRelu", "BatchNormReluInplace", "relu",
           "relu_", "cross_entropy", "backward_plan"]


# ---------------------------------------------------------------------------------------------
# I2: forward fusions
# ---------------------------------------------------------------------------------------------
class _FusedRelu(Function):
    """relu of a pending output computed in its producer's launch. The node is an ordinary
    ReluBackward0 saving relu's output, with the producer's node as its next edge (I3)."""
    node_name = "ReluBackward0"

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        return threshold_backward(g, y), None


class LinearRelu(_FusedRelu):
    """relu(h) where h is the pending Linear output: one matmul launch stores both h and
    relu(h)."""
    node_name = "ReluBackward0"

    @staticmethod
    def forward(ctx, h, args):
        xs, ws, bs, pre = args
        out = torch.empty_like(pre)
        run_linear(xs, ws, bs, out, activation="relu", pre_out=pre)
        y = _wrap(out)
        ctx.save_for_backward(y)
        return y


class LinearCrossEntropy(Function):
    """cross_entropy(logits) where logits is the pending Linear output: one launch of the fused
    head stores the logits and computes the loss. The node is the ordinary cross-entropy node
    (NllLossBackward0, saving the logits) with the logits' node as its next edge (I3)."""
    node_name = "NllLossBackward0"

    @staticmethod
    def forward(ctx, logits, target, reduction, ignore_index, smoothing, args):
        xs, ws, bs, pre = args
        loss, lse, count = linear_loss_kernels.forward(xs, ws.t(), bs, target._data, reduction,
                                                       ignore_index, logits_out=pre)
        ctx.reduction, ctx.ignore_index, ctx.smoothing = reduction, ignore_index, smoothing
        ctx.lse, ctx.count, ctx.target = _wrap(lse), _wrap(count), target
        ctx.save_for_backward(logits)
        return _wrap(loss)

    @staticmethod
    def backward(ctx, g):
        return CrossEntropy.backward(ctx, g) + (None,)


class BatchNormRelu(_FusedRelu):
    """relu(h) where h is the pending BatchNorm output: one batch-norm launch stores both h and
    relu(h)."""
    node_name = "ReluBackward0"

    @staticmethod
    def forward(ctx, h, launch):
        out = torch.empty_like(launch.y)
        launch.run(relu_out=out)
        y = _wrap(out)
        ctx.save_for_backward(y)
        return y


class BatchNormReluInplace(_FusedRelu):
    """h.relu_() where h is the pending BatchNorm output: the batch-norm launch writes relu(h)
    into h (torch's relu_: h is dirty, its ReluBackward0 saves h at its new version)."""
    node_name = "ReluBackward0"

    @staticmethod
    def forward(ctx, h, launch):
        launch.run(relu_out=launch.y)
        ctx.mark_dirty(h)
        ctx.save_for_backward(h)
        return h


_RELU_NODES = (Relu, _FusedRelu)


def relu(x):
    """relu(x) fused into x's pending Linear or BatchNorm (one launch); None when it does not
    apply."""
    if lazy._slot is None or not lazy.fusion_backend.enabled:
        return None
    args = lazy.take(x)
    if args is None:
        return None
    if isinstance(args, BatchNormLaunch):
        return BatchNormRelu.apply(x, args)
    return LinearRelu.apply(x, args)


def relu_(x):
    """x.relu_() fused into x's pending BatchNorm (one launch); None when it does not apply
    (the ordinary in-place path then computes the pending value first)."""
    if lazy._slot is None or not lazy.fusion_backend.enabled or x._base is not None:
        return None
    if not isinstance(lazy.peek(x), BatchNormLaunch):
        return None
    launch = lazy.take(x)
    if launch is None:
        return None
    if grad_mode.is_grad_enabled() and x.requires_grad:
        return BatchNormReluInplace.apply(x, launch)
    launch.run(relu_out=launch.y)
    x._bump_version()
    return x


def cross_entropy(logits, target, reduction, ignore_index, smoothing):
    """cross_entropy(logits) as the fused head when ``logits`` is the pending output of a Linear
    the head kernels support; None otherwise (the caller takes the ordinary path)."""
    if lazy._slot is None or not lazy.fusion_backend.enabled:
        return None
    args = lazy.peek(logits)
    if args is None or isinstance(args, BatchNormLaunch):  # the head fuses into a Linear only
        return None
    xs, ws, bs, pre = args
    if not linear_loss_kernels.supported(xs, ws.t(), target, smoothing) or logits.dim() != 2:
        return None
    if lazy.take(logits) is None:
        return None
    return LinearCrossEntropy.apply(logits, target, reduction, ignore_index, smoothing, args)


# ---------------------------------------------------------------------------------------------
# I4: backward fusions, decided by the engine at backward time
# ---------------------------------------------------------------------------------------------
def _absorbable(node, deps, buffers, blocked):
    """No one can observe the gradient flowing into ``node`` (see I4)."""
    if node is None or deps.get(id(node)) != 1 or id(node) in buffers or blocked(node):
        return False
    if node._hooks or any(node._pre_hooks.values()) or node.__dict__.get("_node_pre_hooks"):
        return False
    return True


def _is(node, cls):
    fn = getattr(node, "_function", None)
    return fn is not None and issubclass(fn, cls)


def _is_relu(node):
    return any(_is(node, cls) for cls in _RELU_NODES)


def _batch_norm_input(relu_node, deps, buffers, blocked):
    """The BatchNorm node feeding the ReLU node ``relu_node``, when it can be absorbed."""
    slot = relu_node._input_edge_slots[0]
    if slot is None:
        return None
    bn, nr = relu_node.next_functions[slot]
    if bn is None or nr != 0 or not _is(bn, BatchNorm) or not _absorbable(bn, deps, buffers,
                                                                           blocked):
        return None
    return bn


def _plan_batch_norm_relu(relu_node, bn, g):
    """ReLU's backward folded into the batch-norm backward launch (the mask is the ReLU's saved
    output; both nodes' saved tensors are unpacked, with their version checks)."""
    y = relu_node.saved_tensors[-1]
    gx, gw, gb = batch_norm_grads(bn, g, relu_out=y)
    given = {}
    for arg, grad in ((0, gx), (1, gw), (2, gb)):
        if _arg_slot(bn, arg) is not None:
            given[(id(bn), _arg_slot(bn, arg))] = grad
    return [bn], _routes([relu_node, bn], given)


def _relu_input(lin, deps, buffers, blocked):
    """The Relu node feeding the Linear node ``lin``'s input x, when it can be absorbed."""
    slot = lin._input_edge_slots[0]
    if slot is None or not lin.needs_input_grad[0]:
        return None
    relu_node, nr = lin.next_functions[slot]
    if relu_node is None or nr != 0 or not _is_relu(relu_node):
        return None
    if not _absorbable(relu_node, deps, buffers, blocked):
        return None
    return relu_node


def _routes(chain, given):
    """Every edge leaving the fused ``chain`` (its first node and the nodes it absorbs), with the
    gradient ``given[(id(node), edge index)]`` or None: the engine must count down every edge."""
    absorbed = {id(n) for n in chain[1:]}
    out = []
    for n in chain:
        for i, edge in enumerate(n.next_functions):
            if edge[0] is not None and id(edge[0]) in absorbed:
                continue
            out.append((edge, given.get((id(n), i))))
    return out


def _arg_slot(node, arg):
    return node._input_edge_slots[arg]


def backward_plan(node, grads, deps, buffers, blocked):
    """Asked by the engine before it runs ``node`` (its tensor and node pre-hooks have run):
    returns (absorbed nodes, [(edge, grad), ...]) when ``node`` can run fused with the node(s)
    its gradient flows into, else None. Caller guarantees: fusion enabled, no anomaly mode, no
    create_graph."""
    if node._hooks or grads[0] is None:
        return None
    if _is(node, LinearCrossEntropy):
        return _plan_head(node, grads[0], deps, buffers, blocked)
    if _is_relu(node) and not _is(node, LinearRelu):
        bn = _batch_norm_input(node, deps, buffers, blocked)
        return None if bn is None else _plan_batch_norm_relu(node, bn, grads[0])
    if _is(node, Linear):
        relu_node = _relu_input(node, deps, buffers, blocked)
        if relu_node is None:
            return None
        y = relu_node.saved_tensors[-1]  # unpacking checks its version, as ReluBackward would
        gx, gw, gb = linear_grads(node, grads[0], relu_mask=y)
        given = {(id(relu_node), _arg_slot(relu_node, 0)): gx, (id(node), _arg_slot(node, 1)): gw}
        if _arg_slot(node, 2) is not None:
            given[(id(node), _arg_slot(node, 2))] = gb
        return [relu_node], _routes([node, relu_node], given)
    return None


def _plan_head(ce, g, deps, buffers, blocked):
    slot = ce._input_edge_slots[0]
    lin, nr = ce.next_functions[slot]
    if not _is(lin, Linear) or nr != 0 or not _absorbable(lin, deps, buffers, blocked):
        return None
    bias = lin.bias_ref
    if bias is not None and (bias._version_counter[0] != lin.bias_version
                             or tuple(bias.shape) != (lin._outputs_meta[0][0][-1],)):
        return None
    (logits,) = ce.saved_tensors
    x, w = lin.saved_tensors
    if x.dim() != 2 or not linear_loss_kernels.supported(x, w, ce.target, ce.smoothing):
        return None
    relu_node = _relu_input(lin, deps, buffers, blocked)
    chain = [ce, lin]
    if relu_node is not None:
        relu_node.saved_tensors  # its version check, as ReluBackward would
        chain.append(relu_node)
    need_x, need_w = lin.needs_input_grad[0], lin.needs_input_grad[1]
    need_b = bias is not None and lin.needs_input_grad[2]
    prev = None if relu_node is None else _prev_linear(relu_node, x, w, deps, buffers,
                                                                   blocked)
    if prev is not None and need_x:
        lin0, x0 = prev
        chain.append(lin0)
        need_w0 = lin0.needs_input_grad[1]
        need_b0 = lin0.bias_shape is not None and lin0.needs_input_grad[2]
        _, dw, db, dw0, db0 = linear_loss_kernels.backward(
            x._data, w._data, None if bias is None else bias._data, ce.target._data,
            ce.lse._data, g._data, ce.count._data, ce.reduction, ce.ignore_index, True, True,
            need_w, need_b, prev=(x0._data, need_w0, need_b0))
        given = {(id(lin0), _arg_slot(lin0, 1)): None if dw0 is None else _wrap(dw0)}
        if lin0.bias_shape is not None:
            given[(id(lin0), _arg_slot(lin0, 2))] = None if db0 is None else _wrap(db0)
    else:
        dx, dw, db = linear_loss_kernels.backward(
            x._data, w._data, None if bias is None else bias._data, ce.target._data,
            ce.lse._data, g._data, ce.count._data, ce.reduction, ce.ignore_index,
            relu_node is not None, need_x, need_w, need_b)
        x_node = relu_node if relu_node is not None else lin
        given = {}
        if _arg_slot(x_node, 0) is not None:
            given[(id(x_node), _arg_slot(x_node, 0))] = None if dx is None else _wrap(dx)
    given[(id(lin), _arg_slot(lin, 1))] = None if dw is None else _wrap(dw)
    if bias is not None:
        given[(id(lin), _arg_slot(lin, 2))] = None if db is None else _wrap(db)
    return chain[1:], _routes(chain, given)


def _prev_linear(relu_node, x, w, deps, buffers, blocked):
    """(Linear node, its saved input x0) when the absorbed ReLU's input is a Linear whose own
    backward can run inside the head's launch (I4 for that Linear too): no one can observe the
    gradient flowing into it, its input needs no gradient (only dW0/db0 are produced), its
    bias (if any) has the output's last-dimension shape, and the head kernel takes the shapes
    (``linear_loss.prev_supported``)."""
    slot = relu_node._input_edge_slots[0]
    if slot is None:
        return None
    node, nr = relu_node.next_functions[slot]
    if node is None or nr != 0 or not _is(node, Linear):
        return None
    if not _absorbable(node, deps, buffers, blocked) or node.needs_input_grad[0]:
        return None
    if not (node.needs_input_grad[1] or (node.bias_shape is not None
                                         and node.needs_input_grad[2])):
        return None
    if node.bias_shape is not None and node.bias_shape != (x.shape[-1],):
        return None
    x0, w0 = node.saved_tensors  # unpacking checks their versions, as the Linear's node would
    if not linear_loss_kernels.prev_supported(x, w, x0, w0):
        return None
    return node, x0
