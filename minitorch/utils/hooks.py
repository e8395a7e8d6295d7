"""The machinery behind ``Module``'s hooks, as ``torch.utils.hooks``: ``RemovableHandle`` (what
every ``register_*_hook`` of a module returns) and ``BackwardHook``, which makes a module's full
backward hooks see the gradients with respect to its inputs and outputs by passing both through an
identity node (``BackwardHookFunctionBackward``) on each side of ``forward``."""
import itertools
import weakref
from collections import OrderedDict

from .._tensor_ref import is_tensor
from ..autograd import grad_mode
from ..autograd.function import Function

__all__ = ["RemovableHandle", "BackwardHook", "BackwardHookFunction"]


class RemovableHandle:
    """Removes the hook it was returned for from its dict (and the ``extra_dict`` flags);
    ``with handle:`` removes it on exit."""

    _next_id = itertools.count()

    def __init__(self, hooks_dict, *, extra_dict=None):
        self.hooks_dict_ref = weakref.ref(hooks_dict)
        self.id = next(RemovableHandle._next_id)
        if extra_dict is None:
            extra_dict = []
        elif isinstance(extra_dict, dict):
            extra_dict = [extra_dict]
        self.extra_dict_ref = tuple(weakref.ref(d) for d in extra_dict)

    def remove(self):
        for ref in (self.hooks_dict_ref,) + self.extra_dict_ref:
            hooks = ref()
            if hooks is not None and self.id in hooks:
                del hooks[self.id]

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()


def hooks_dict():
    """An ordered dict a RemovableHandle can refer to (weakly)."""
    return OrderedDict()


class BackwardHookFunction(Function):
    """Identity on a module's tensor inputs or outputs: its node is where the module's backward
    hooks observe (and may replace) the gradients. Like torch, its outputs are the inputs
    returned as-is, so writing them in place (``ReLU(inplace=True)`` with a backward hook) is
    refused."""

    _returns_inputs = True

    @staticmethod
    def forward(ctx, *args):
        ctx.mark_non_differentiable(*[a for a in args if not a.requires_grad])
        return args

    @staticmethod
    def backward(ctx, *grads):
        return grads


class BackwardHook:
    """One forward call's backward hooks: ``setup_input_hook`` before ``forward``,
    ``setup_output_hook`` after. In backward, the output node records the gradients of the
    outputs (after the backward pre-hooks, which may replace them); the input node then calls
    ``hook(module, grad_input, grad_output)``, whose result, if not None, replaces grad_input."""

    def __init__(self, module, user_hooks, user_pre_hooks):
        self.module = module
        self.user_hooks = user_hooks
        self.user_pre_hooks = user_pre_hooks
        self.grad_outputs = None
        self.n_outputs = -1
        self.output_tensors_index = None
        self.n_inputs = -1
        self.input_tensors_index = None

    @staticmethod
    def _pack_with_none(indices, values, size):
        res = [None] * size
        for i, v in zip(indices, values):
            res[i] = v
        return tuple(res)

    @staticmethod
    def _unpack_none(indices, values):
        return tuple(values[i] for i in indices)

    def _set_user_hook(self, grad_fn):
        def hook(grad_input, _):
            if self.grad_outputs is None:
                raise RuntimeError(
                    "Module backward hook for grad_input is called before the grad_output one. "
                    "This happens because the gradient in your nn.Module flows to the Module's "
                    "input without passing through the Module's output. Make sure that the output "
                    "depends on the input and that the loss is computed based on the output.")
            res = self._pack_with_none(self.input_tensors_index, grad_input, self.n_inputs)
            for user_hook in self.user_hooks:
                out = user_hook(self.module, res, self.grad_outputs)
                if out is None:
                    continue
                if len(out) != len(res):
                    raise RuntimeError("Backward hook returned an invalid number of grad_input, "
                                       f"got {len(out)}, but expected {len(res)}")
                res = out
            self.grad_outputs = None
            return self._unpack_none(self.input_tensors_index, res)
        grad_fn.register_hook(hook)

    def _apply_on_tensors(self, fn, args):
        index = [i for i, a in enumerate(args) if is_tensor(a)]
        tensors = [args[i] for i in index]
        if not (grad_mode.is_grad_enabled() and any(t.requires_grad for t in tensors)):
            return args, None
        new = BackwardHookFunction.apply(*tensors)
        fn(next(t.grad_fn for t in new if t.grad_fn is not None))
        out = list(args)
        for i, t in zip(index, new):
            out[i] = t
        return tuple(out), index

    def setup_input_hook(self, args):
        res, index = self._apply_on_tensors(self._set_user_hook, args)
        self.n_inputs = len(args)
        self.input_tensors_index = index
        return res

    def setup_output_hook(self, result):
        def fn(grad_fn):
            def hook(grad_output):
                self.grad_outputs = self._pack_with_none(self.output_tensors_index, grad_output,
                                                         self.n_outputs)
                for pre_hook in self.user_pre_hooks:
                    out = pre_hook(self.module, self.grad_outputs)
                    if out is None:
                        continue
                    if len(out) != len(self.grad_outputs):
                        raise RuntimeError("Backward pre hook returned an invalid number of "
                                           f"grad_output, got {len(out)}, but expected "
                                           f"{len(self.grad_outputs)}")
                    self.grad_outputs = tuple(out)
                if self.input_tensors_index is None:  # no input requires grad: called here
                    grad_inputs = self._pack_with_none([], [], self.n_inputs)
                    for user_hook in self.user_hooks:
                        res = user_hook(self.module, grad_inputs, self.grad_outputs)
                        if res is not None and not (isinstance(res, tuple)
                                                    and all(r is None for r in res)):
                            raise RuntimeError("Backward hook for Modules where no input requires "
                                               "gradient should always return None or None for "
                                               "all gradients.")
                    self.grad_outputs = None
                if self.grad_outputs is None:
                    return None
                return tuple(self.grad_outputs[i] for i in self.output_tensors_index)
            grad_fn.register_prehook(hook)
        single = not isinstance(result, tuple)
        outputs = (result,) if single else result
        res, index = self._apply_on_tensors(fn, outputs)
        self.n_outputs = len(outputs)
        self.output_tensors_index = index
        return res[0] if single else res
