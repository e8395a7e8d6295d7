"""The reverse-mode engine: iterative topological execution of the backward graph.

1. Walk the graph from the roots (iteratively — a 10,000-op chain must not hit Python's recursion
   limit) counting, for every node, how many edges point at it.
2. Run nodes whose count dropped to zero, summing the gradients that arrive for each of their
   outputs first. Ties go to the most recently created node (PyTorch's order).
3. Leaves accumulate into ``.grad`` through their ``AccumulateGrad`` node; ``autograd.grad``
   captures gradients at the requested inputs instead.
Saved tensors of every executed node are freed afterwards unless ``retain_graph``.
"""
import heapq
import threading

from ..ops import lazy
from .function import Node, check_hook_result
from .grad_mode import is_anomaly_enabled, is_grad_enabled, set_grad_enabled


class AccumulateGrad(Node):
    """The node of a leaf tensor that requires grad: adds incoming gradients into ``.grad``."""

    def __init__(self, variable):
        super().__init__()
        self.variable = variable

    def name(self):
        return "torch::autograd::AccumulateGrad"

    def apply(self, grad):
        var = self.variable
        for hook in var._hooks:
            r = hook(grad)
            if r is not None:
                grad = check_hook_result(hook, grad, r)
        _accumulate_into_grad(var, grad)
        for hook in var._post_accumulate_hooks:
            hook(var)
        return ()


def _accumulate_into_grad(var, grad):
    create_graph = is_grad_enabled()
    if grad.dtype != var.dtype:
        grad = grad.to(var.dtype)
    if var._grad is None:
        if create_graph:
            # like torch (clone_obey_contract): never a view of, or the same tensor as, another
            # node's gradient, so that zeroing or updating .grad in place touches only it
            var._grad = grad.clone()
        elif grad._base is None and not grad._stolen and grad.is_contiguous():
            grad._stolen = True
            var._grad = grad if not grad.requires_grad else grad.detach()
        else:
            var._grad = grad.detach().clone()
            var._grad._stolen = True
    elif create_graph or var._grad.requires_grad:
        var._grad = var._grad + grad
    else:
        var._grad.add_(grad)


def _check_nan(node, grads):
    for i, g in enumerate(grads):
        if g is not None and g.dtype.is_floating_point and g.numel() and bool(g.isnan().any()):
            where = node.metadata.get("traceback_")
            raise RuntimeError(f"Function '{node.name()}' returned nan values in its {i}th output."
                               + (f" The forward call that created it:\n{where}" if where else ""))


_final_callbacks = threading.local()


def queue_callback(callback):
    """Run ``callback()`` once the backward pass now running has finished (PyTorch's
    ``Variable._execution_engine.queue_callback``; DistributedDataParallel waits for its gradient
    all-reduces there)."""
    stack = getattr(_final_callbacks, "stack", None)
    if not stack:
        raise RuntimeError("Final callbacks can only be installed during backward pass.")
    stack[-1].append(callback)


def run_backward(tensors, grad_tensors, retain_graph, create_graph, inputs=None,
                 allow_unused=True, accumulate=True):
    stack = getattr(_final_callbacks, "stack", None)
    if stack is None:
        stack = _final_callbacks.stack = []
    callbacks = []
    stack.append(callbacks)
    try:
        results = _run_backward(tensors, grad_tensors, retain_graph, create_graph, inputs,
                                allow_unused, accumulate)
        while callbacks:  # a callback may queue another
            callbacks.pop(0)()
    finally:
        stack.pop()
    return results


def _run_backward(tensors, grad_tensors, retain_graph, create_graph, inputs=None,
                  allow_unused=True, accumulate=True):
    """Backpropagate ``grad_tensors`` from ``tensors``. With ``accumulate`` leaf gradients go to
    ``.grad`` (restricted to ``inputs`` when given); otherwise the gradients of ``inputs`` are
    returned (``autograd.grad``)."""
    roots = []
    for t, g in zip(tensors, grad_tensors):
        node, nr = t._edge()
        if node is None:
            raise RuntimeError("element 0 of tensors does not require grad and does not have a "
                               "grad_fn")
        roots.append((node, nr, g))

    # Targets: the edge of each requested input.
    capture = None
    if inputs is not None:
        capture = {}
        for i, x in enumerate(inputs):
            node, nr = x._edge(create=True)
            capture.setdefault((id(node), nr), []).append(i)
        target_nodes = {key[0] for key in capture}

    # 1. dependency counts (iterative DFS)
    deps = {}
    nodes = {}
    stack = [node for node, _, _ in roots]
    for node in stack:
        nodes[id(node)] = node
    order = []
    seen = set(id(n) for n in stack)
    while stack:
        node = stack.pop()
        order.append(node)
        for nxt, _ in node.next_functions:
            if nxt is None:
                continue
            deps[id(nxt)] = deps.get(id(nxt), 0) + 1
            if id(nxt) not in seen:
                seen.add(id(nxt))
                nodes[id(nxt)] = nxt
                stack.append(nxt)

    # Only run nodes that lead to a target (autograd.grad / backward(inputs=...)).
    needed = None
    if capture is not None:
        needed = set()
        # reverse topological sweep: a node is needed if it is a target or feeds a needed node
        for node in _topological(order, deps):
            if id(node) in target_nodes or any(
                    nxt is not None and id(nxt) in needed for nxt, _ in node.next_functions):
                needed.add(id(node))

    buffers = {}
    for node, nr, g in roots:
        buf = buffers.setdefault(id(node), [None] * _num_outputs(node))
        buf[nr] = g if buf[nr] is None else buf[nr] + g

    results = [None] * (len(inputs) if inputs is not None else 0)
    heap = []
    for node, _, _ in roots:
        if deps.get(id(node), 0) == 0 and not any(id(node) == h[1] for h in heap):
            heapq.heappush(heap, (-node._sequence_nr, id(node)))

    anomaly = is_anomaly_enabled()
    # backward fusion (minitorch/fusion.py decides; invariant I4): never under anomaly mode or
    # create_graph, never across an autograd.grad input
    fuse = lazy.fusion_backend.enabled and not anomaly and not create_graph
    if fuse:
        from .. import fusion  # fusion.py builds on functions/, which sit above autograd
    blocked = (lambda n: False) if capture is None else (lambda n: id(n) in target_nodes)
    with set_grad_enabled(create_graph):
        while heap:
            _, nid = heapq.heappop(heap)
            node = nodes[nid]
            grads = buffers.pop(nid, None) or [None] * _num_outputs(node)
            # tensor hooks registered on this node's outputs (non-leaf register_hook/retain_grad)
            for nr, hooks in node._pre_hooks.items():
                # retain_grad's hook always runs last, seeing what the other hooks returned
                for hook in sorted(hooks, key=lambda h: getattr(h, "_retain_grad_hook", False)):
                    if grads[nr] is not None:
                        r = hook(grads[nr])
                        if r is not None:
                            grads[nr] = check_hook_result(hook, grads[nr], r)
            for hook in list(node.__dict__.get("_node_pre_hooks", ())):
                r = hook(tuple(grads))
                if r is not None:
                    grads = list(r)
            if capture is not None:
                if isinstance(node, AccumulateGrad) and grads[0] is not None:
                    # a leaf's tensor hooks run on the gradient autograd.grad returns too
                    for hook in node.variable._hooks:
                        r = hook(grads[0])
                        if r is not None:
                            grads[0] = check_hook_result(hook, grads[0], r)
                for nr, g in enumerate(grads):
                    for i in capture.get((nid, nr), ()):
                        results[i] = g
                if nid not in needed or isinstance(node, AccumulateGrad):
                    continue
            if isinstance(node, AccumulateGrad):
                if grads[0] is not None:
                    node.apply(grads[0])
                continue
            plan = fusion.backward_plan(node, grads, deps, buffers, blocked) if fuse else None
            if plan is not None:
                absorbed, routes = plan
                for n in [node] + absorbed:
                    deps[id(n)] = -1  # ran inside ``node``'s launch: never scheduled
                    if not retain_graph:
                        n._release()
                _route(routes, buffers, deps, heap)
                continue
            if all(g is None for g in grads):
                out = (None,) * len(node.next_functions)
            else:
                out = node.apply(*grads)
            if anomaly:
                _check_nan(node, list(out))
            for hook in node._hooks:  # like torch: a post-hook may replace the gradients
                r = hook(tuple(out), tuple(grads))
                if r is not None:
                    out = tuple(r)
            if not retain_graph:
                node._release()
            _route(zip(node.next_functions, out), buffers, deps, heap)
    if capture is not None and accumulate:
        for x, g in zip(inputs, results):
            if g is None:
                continue
            with set_grad_enabled(create_graph):
                _accumulate_into_grad(x, g)
            if x.is_leaf:
                for hook in x._post_accumulate_hooks:
                    hook(x)
    return results


def _route(edges_and_grads, buffers, deps, heap):
    """Deliver gradients along edges; schedule nodes whose last contributor has run."""
    for (nxt, nr), g in edges_and_grads:
        if nxt is None:
            continue
        nxid = id(nxt)
        if g is not None:
            buf = buffers.setdefault(nxid, [None] * _num_outputs(nxt))
            buf[nr] = g if buf[nr] is None else buf[nr] + g
        deps[nxid] -= 1
        if deps[nxid] == 0:
            heapq.heappush(heap, (-nxt._sequence_nr, nxid))


def _num_outputs(node):
    meta = getattr(node, "_outputs_meta", None)
    return max(1, len(meta)) if meta else 1


def _topological(order, deps):
    """Nodes ordered so that every node comes after all nodes it points to (leaves first)."""
    indeg = {}
    for node in order:
        indeg.setdefault(id(node), 0)
    remaining = dict(deps)
    # Kahn from the roots gives producers-after-consumers; reverse it.
    ready = [n for n in order if remaining.get(id(n), 0) == 0]
    out = []
    while ready:
        node = ready.pop()
        out.append(node)
        for nxt, _ in node.next_functions:
            if nxt is None:
                continue
            remaining[id(nxt)] -= 1
            if remaining[id(nxt)] == 0:
                ready.append(nxt)
    return reversed(out)


__all__ = ["AccumulateGrad", "queue_callback", "run_backward"]
