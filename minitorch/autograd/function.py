"""Graph nodes and ``autograd.Function``.

A *node* is the backward of one forward call. It records ``next_functions`` — one edge
``(node, output_nr)`` per tensor input, like PyTorch — and the tensors it saved. The node object
is also the ``ctx`` handed to ``forward``/``backward`` (as in PyTorch), so
``ctx.save_for_backward``, ``ctx.saved_tensors`` and ``ctx.needs_input_grad`` live here.
"""
import itertools
import re
import traceback
import warnings

from .._tensor_ref import tensor_type, zeros
from .grad_mode import is_anomaly_enabled, is_grad_enabled, no_grad

_sequence = itertools.count()

SAVED_FREED_MSG = (
    "Trying to backward through the graph a second time (or directly access saved tensors after "
    "they have already been freed). Saved intermediate values of the graph are freed when you call "
    ".backward() or autograd.grad(). Specify retain_graph=True if you need to backward through the "
    "graph a second time or if you need to access saved tensors after calling backward.")


class Node:
    """Base of every backward node."""

    def __init__(self):
        self.next_functions = ()
        self._sequence_nr = next(_sequence)
        self._saved = None          # list of SavedTensor, or None when nothing was saved
        self._freed = False
        self._pre_hooks = {}        # output_nr -> [hook(grad) -> grad or None]
        self._hooks = []            # hook(grad_inputs, grad_outputs)
        self.metadata = {}

    def name(self):
        name = type(self).__name__
        # torch's C++ nodes keep their namespace in name() (not in repr)
        return "torch::autograd::CopySlices" if name == "CopySlices" else name

    def __repr__(self):
        return f"<{type(self).__name__} object at {hex(id(self))}>"

    def register_hook(self, fn):
        self._hooks.append(fn)
        return _RemovableHandle(self._hooks, fn)

    def register_prehook(self, fn):
        """``fn(grad_outputs) -> new grad_outputs or None``, run after the tensor hooks."""
        if "_node_pre_hooks" not in self.__dict__:
            self._node_pre_hooks = []
        self._node_pre_hooks.append(fn)
        return _RemovableHandle(self._node_pre_hooks, fn)

    def _register_output_hook(self, output_nr, fn):
        hooks = self._pre_hooks.setdefault(output_nr, [])
        hooks.append(fn)
        return _RemovableHandle(hooks, fn)

    def apply(self, *grad_outputs):
        raise NotImplementedError

    def __call__(self, *grad_outputs):
        return self.apply(*grad_outputs)

    def _release(self):
        if self._saved is not None:
            self._saved = None
            self._freed = True


class _RemovableHandle:
    def __init__(self, container, item):
        self._container, self._item = container, item

    def remove(self):
        if self._item in self._container:
            self._container.remove(self._item)


class SavedTensor:
    """A tensor saved for backward with the version it had then. Outputs of the node itself are
    kept without their grad_fn (that would be a reference cycle) and re-attached on unpack."""

    __slots__ = ("data_tensor", "version", "is_output", "output_nr", "requires_grad", "name")

    def __init__(self, tensor, is_output, output_nr):
        Tensor = tensor_type()
        self.version = tensor._version_counter[0]
        self.is_output = is_output
        self.output_nr = output_nr
        self.requires_grad = tensor.requires_grad
        if is_output:
            alias = Tensor._make(tensor._data, requires_grad=False)
            alias._version_counter = tensor._version_counter
            self.data_tensor = alias
        else:
            self.data_tensor = tensor

    def unpack(self, node):
        t = self.data_tensor
        if t._version_counter[0] != self.version:
            # like torch: the node that (now) produces the tensor, named by its forward op
            producer = node if self.is_output else t._grad_fn
            nr = self.output_nr if self.is_output else t._output_nr
            which = ""
            if producer is not None:
                pname = producer.name()
                which = f", which is output {nr} of {re.sub(r'Backward[0-9]*$', '', pname)},"
            raise RuntimeError(
                "one of the variables needed for gradient computation has been modified by an "
                f"inplace operation: [{t._type_string()} {list(t.shape)}]{which} is at version "
                f"{t._version_counter[0]}; expected version {self.version} instead. Hint: enable "
                "anomaly detection to find the operation that failed to compute its gradient, "
                "with torch.autograd.set_detect_anomaly(True, check_nan=False).")
        if self.is_output and self.requires_grad:
            Tensor = tensor_type()
            out = Tensor._make(t._data, requires_grad=False)
            out._version_counter = t._version_counter
            out._grad_fn = node
            out._output_nr = self.output_nr
            out._requires_grad = True
            return out
        return t


class BackwardNode(Node):
    """Node of an ``autograd.Function``; also its ``ctx``."""

    _function = None  # the Function subclass

    def __init__(self):
        super().__init__()
        self.needs_input_grad = ()
        self._input_edge_slots = ()   # for each forward arg: index into next_functions or None
        self._outputs_meta = ()       # (shape, dtype, device) of each forward output
        self._non_differentiable = set()
        self._dirty = ()
        self._materialize_grads = True
        self._output_ids = {}
        self._input_meta = ()         # (shape, dtype) of the tensor behind each edge, or None

    def _release(self):
        # like torch: a built-in node that saved nothing can run again after release; a custom
        # Function's ctx.saved_tensors raises after release whatever it saved
        if self._saved or not _is_builtin(type(self)._function):
            self._saved = None
            self._freed = True

    # ---- ctx API --------------------------------------------------------------------------
    def save_for_backward(self, *tensors):
        self._to_save = tensors

    def _do_save(self):
        tensors = getattr(self, "_to_save", None)
        if tensors is None:
            return
        del self._to_save
        saved = []
        for t in tensors:
            if t is None:
                saved.append(None)
                continue
            nr = self._output_ids.get(id(t))
            saved.append(SavedTensor(t, nr is not None, nr or 0))
        self._saved = saved

    @property
    def saved_tensors(self):
        if self._freed:
            raise RuntimeError(SAVED_FREED_MSG)
        if self._saved is None:
            return ()
        return tuple(None if s is None else s.unpack(self) for s in self._saved)

    def mark_dirty(self, *tensors):
        self._dirty = tensors

    def mark_non_differentiable(self, *tensors):
        self._non_differentiable.update(id(t) for t in tensors)

    def set_materialize_grads(self, value):
        self._materialize_grads = bool(value)

    # ---- backward ---------------------------------------------------------------------------
    def apply(self, *grad_outputs):
        if self._materialize_grads:
            grad_outputs = tuple(
                zeros(meta[0], dtype=meta[1], device=meta[2]) if g is None and meta is not None
                else g for g, meta in zip(grad_outputs, self._outputs_meta))
        fn = self._function
        backward = fn.backward
        if fn.vjp is not Function.vjp:  # torch: a Function may define vjp instead of backward
            if backward is not Function.backward:
                raise RuntimeError("Implementing both 'backward' and 'vjp' for a custom Function "
                                   "is not allowed. You should only implement one of them.")
            backward = fn.vjp
        result = backward(self, *grad_outputs)
        if not isinstance(result, tuple):
            result = (result,)
        n_args = len(self._input_edge_slots)
        user_defined = not _is_builtin(type(self)._function)
        if len(result) < n_args and not user_defined:
            # minitorch's own functions may omit trailing non-tensor arguments (a user's
            # backward must return one gradient per forward argument, as in torch)
            result = result + (None,) * (n_args - len(result))
        if len(result) != n_args:
            raise RuntimeError(f"function {self.name()} returned an incorrect number of gradients "
                               f"(expected {n_args}, got {len(result)})")
        grads = [None] * len(self.next_functions)
        for i, (slot, g) in enumerate(zip(self._input_edge_slots, result)):
            if slot is not None:
                if g is not None:
                    g = self._validate_grad(i, g, slot)
                grads[slot] = g
            elif g is not None and user_defined:
                raise RuntimeError(f"function {self.name()} returned a gradient different than "
                                   f"None at position {i + 1}, but the corresponding forward "
                                   "input was not a Variable")
        return tuple(grads)


    def _validate_grad(self, i, g, edge):
        """torch's validate_outputs: a gradient must be a Tensor whose shape the input's shape
        expands to (it is then summed down to it), cast to the input's dtype. Errors name the
        edge (torch's index among the node's inputs), not the forward argument."""
        Tensor = tensor_type()
        if not isinstance(g, Tensor):
            raise RuntimeError(f"expected Variable or None (got {type(g).__name__})")
        meta = self._input_meta[i] if i < len(self._input_meta) else None
        if meta is None:
            return g
        shape, dtype = meta
        if tuple(g.shape) != shape:
            if not _expandable(shape, tuple(g.shape)):
                raise RuntimeError(f"Function {self.name()} returned an invalid gradient at index "
                                   f"{edge} - got {list(g.shape)} but expected shape compatible "
                                   f"with {list(shape)}")
            g = g.sum_to_size(shape)
        if g.dtype != dtype and dtype.is_floating_point:
            g = g.to(dtype)
        return g


def _is_builtin(function):
    return function.__module__.startswith("minitorch.")


def _expandable(shape, desired):
    """Whether a tensor of ``shape`` broadcasts to ``desired``."""
    if len(shape) > len(desired):
        return False
    for s, d in zip(reversed(shape), reversed(desired)):
        if s != d and s != 1:
            return False
    return True


def check_hook_result(hook, old, new):
    """torch's check for a tensor hook's return value (same type, dtype, device and size)."""
    Tensor = tensor_type()
    if not isinstance(new, Tensor):
        raise TypeError(f"expected Variable, but hook returned '{type(new).__name__}'")
    name = getattr(hook, "__name__", type(hook).__name__)
    if new.dtype != old.dtype or new.device.type != old.device.type:
        raise RuntimeError(f"hook '{name}' has changed the type of value (was "
                           f"{old._type_string()} got {new._type_string()})")
    if tuple(new.shape) != tuple(old.shape):
        raise RuntimeError(f"hook '{name}' has changed the size of value")
    return new


class FunctionMeta(type):
    """Creates the backward node class of each Function subclass (``FooBackward``)."""

    def __init__(cls, name, bases, attrs):
        node_name = attrs.get("node_name") or f"{name}Backward"
        cls._backward_cls = type(node_name, (BackwardNode,), {"_function": cls})
        super().__init__(name, bases, attrs)


class Function(metaclass=FunctionMeta):
    """Base class for differentiable operations (the public custom-op API, as in PyTorch).

    Subclasses define ``forward(ctx, *args)`` and ``backward(ctx, *grad_outputs)`` as static
    methods and are called through ``apply``.
    """

    @staticmethod
    def forward(ctx, *args, **kwargs):
        raise NotImplementedError("You must implement the forward function for custom "
                                  "autograd.Function.")

    @staticmethod
    def backward(ctx, *grad_outputs):
        raise NotImplementedError("You must implement either the backward or vjp method for your "
                                  "custom autograd.Function to use it with backward mode AD.")

    @staticmethod
    def vjp(ctx, *grad_outputs):
        raise NotImplementedError("You must implement either the backward or vjp method for your "
                                  "custom autograd.Function to use it with backward mode AD.")

    @staticmethod
    def setup_context(ctx, inputs, output):
        raise NotImplementedError("setup_context is not implemented.")

    @classmethod
    def _has_setup_context(cls):
        for klass in cls.__mro__:
            if klass is Function:
                return False
            if "setup_context" in klass.__dict__:
                return True
        return False

    @classmethod
    def apply(cls, *args, **kwargs):
        Tensor = tensor_type()
        ctx = cls._backward_cls()
        needs = tuple(isinstance(a, Tensor) and a.requires_grad for a in args)
        ctx.needs_input_grad = needs
        record = is_grad_enabled() and any(needs)
        with no_grad():
            if cls._has_setup_context():
                # torch 2.x style: forward(*args) without ctx, then setup_context(ctx, inputs,
                # output)
                outputs = cls.forward(*args, **kwargs)
                cls.setup_context(ctx, args, outputs)
            else:
                outputs = cls.forward(ctx, *args, **kwargs)
        single = not isinstance(outputs, tuple)
        outs = (outputs,) if single else outputs
        views = [o for o in outs if isinstance(o, Tensor) and o._base is not None
                 and not any(o is d for d in ctx._dirty)]
        for o in views:
            o._made_by_view_op = True
            if is_grad_enabled():  # these follow later in-place writes (view replay)
                o._view_version = o._version_counter[0]
            # torch's CreationMeta: how the view was made decides whether an in-place op on it
            # may be recorded (inherited from a view it was taken of)
            inherited = next((a._view_creation for a in args if isinstance(a, Tensor)
                              and a._view_creation is not None and a._base is o._base), None)
            o._view_creation = inherited or ("no_grad" if not is_grad_enabled() else
                                             "multi_output" if len(views) > 1 else None)
            if inherited and is_grad_enabled():  # named in torch's message for this view
                o._view_creation_node = (ctx.name(),
                                         next(i for i, t in enumerate(outs) if t is o))
        if record:
            # an input returned as-is becomes a new alias, so its own history stays intact
            inputs = [a for a in args if isinstance(a, Tensor)]
            dirty = ctx._dirty
            outs = tuple(o._alias() if isinstance(o, Tensor) and any(o is a for a in inputs)
                         and not any(o is d for d in dirty) else o for o in outs)
            if not _is_builtin(cls) or getattr(cls, "_returns_inputs", False):
                # torch's CreationMeta IN_CUSTOM_FUNCTION: writing such an alias in place
                # would bypass the custom backward, so it is refused
                for o in outs:
                    if isinstance(o, Tensor) and o._base is not None and \
                            any(o._base is (a._base if a._base is not None else a)
                                for a in inputs) and o._view_creation is None:
                        o._view_creation = "custom_function"
            outputs = outs[0] if single else outs
        if not record:
            for t in getattr(ctx, "_dirty", ()):
                t._version_counter[0] += 1  # like torch: mark_dirty bumps once more
            ctx.__dict__.pop("_to_save", None)
            return outputs
        edges, slots = [], []
        # like torch: a Python number in a wrapped-scalar position still gets a (None, 0) edge;
        # a non-differentiable tensor argument (where's condition) gets none
        scalar_slots = getattr(cls, "_scalar_edge_slots", ())
        no_edge_slots = getattr(cls, "_no_edge_slots", ())
        for i, a in enumerate(args):
            if i in no_edge_slots:
                slots.append(None)
            elif isinstance(a, Tensor):
                slots.append(len(edges))
                edges.append(a._edge())
            elif i in scalar_slots:
                slots.append(len(edges))
                edges.append((None, 0))
            else:
                slots.append(None)
        ctx.next_functions = tuple(edges)
        ctx._input_edge_slots = tuple(slots)
        ctx._input_meta = tuple((tuple(a.shape), a.dtype) if isinstance(a, Tensor) else None
                                for a in args)
        meta = []
        for i, o in enumerate(outs):
            if isinstance(o, Tensor):
                ctx._output_ids[id(o)] = i
                differentiable = (id(o) not in ctx._non_differentiable
                                  and o.dtype.is_floating_point)
                if differentiable:
                    if any(o is d for d in ctx._dirty) and o.is_leaf and o.requires_grad:
                        raise RuntimeError("a leaf Variable that requires grad is being used in "
                                           "an in-place operation.")
                    if any(o is d for d in ctx._dirty):
                        o._set_history(ctx, i)  # a retain_grad() moves to the new node
                    else:
                        o._grad_fn, o._output_nr, o._requires_grad = ctx, i, True
                meta.append((tuple(o.shape), o.dtype, o.device))
            else:
                meta.append(None)
        ctx._outputs_meta = tuple(meta)
        for t in ctx._dirty:
            t._version_counter[0] += 1  # like torch: mark_dirty bumps once more (before saving)
        ctx._do_save()
        ctx._output_ids = {}
        if is_anomaly_enabled():  # like torch: remember where the forward op was called
            ctx.metadata["traceback_"] = "".join(traceback.format_stack()[:-1])
        return outputs


def once_differentiable(fn):
    def wrapper(ctx, *args):
        with no_grad():
            return fn(ctx, *args)
    return wrapper


def _warn_nonleaf_grad():
    warnings.warn(
        "The .grad attribute of a Tensor that is not a leaf Tensor is being accessed. Its .grad "
        "attribute won't be populated during autograd.backward(). If you indeed want the .grad "
        "field to be populated for a non-leaf Tensor, use .retain_grad() on the non-leaf Tensor. "
        "If you access the non-leaf Tensor by mistake, make sure you access the leaf Tensor "
        "instead.", UserWarning, stacklevel=3)


__all__ = ["SAVED_FREED_MSG", "Node", "SavedTensor", "BackwardNode", "FunctionMeta", "Function",
           "once_differentiable"]
