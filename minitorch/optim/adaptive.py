"""RMSprop, Adagrad and Adadelta: one fused multi-tensor Triton launch per four parameters per
step (ops/optim_adaptive.py), with torch.optim's hyper-parameters, validation messages and
state_dict layout (``step``, ``square_avg``, ``momentum_buffer``, ``grad_avg``, ``sum``,
``acc_delta``), so a torch optimizer's state loads."""
from ..autograd import grad_mode
from ..creation import full_like, tensor, zeros_like
from ..ops import optim_adaptive as adaptive_kernels
from ..tensor import Tensor
from .optimizer import Optimizer, _params_with_grad


def _check(name, value, ok):
    if not ok:
        raise ValueError(f"Invalid {name}: {value}")


def _lr(lr):
    return lr.item() if isinstance(lr, Tensor) else lr


def _step_value(state):
    s = state["step"]
    return float(s.item()) if isinstance(s, Tensor) else float(s)


class _Adaptive(Optimizer):
    _kind = None
    _buffers = ()

    def _init_state(self, p, group):
        state = self.state[p]
        state["step"] = tensor(0.0)
        for name in self._buffers_for(group):
            state[name] = zeros_like(p).contiguous()

    def _buffers_for(self, group):
        return self._buffers

    def _hyper(self, group, step):
        raise NotImplementedError

    def step(self, closure=None):
        loss = self._closure(closure)
        with grad_mode.no_grad():
            for group in self.param_groups:
                # parameters sharing a step count (and so a learning rate) share launches
                batches = {}
                for p in _params_with_grad(group):
                    if p.grad.is_sparse if hasattr(p.grad, "is_sparse") else False:
                        raise RuntimeError(f"{type(self).__name__} does not support sparse "
                                           f"gradients")
                    state = self.state[p]
                    if len(state) == 0:
                        self._init_state(p, group)
                    for name in self._buffers_for(group):
                        if name not in state:
                            state[name] = zeros_like(p).contiguous()
                    step = _step_value(state) + 1
                    state["step"] = tensor(step)
                    batches.setdefault((step, p.dtype), []).append(p)
                for (step, _), ps in batches.items():
                    self._launch(group, step, ps)
        return loss

    def _launch(self, group, step, ps):
        names = self._state_slots(group)
        targets, grads, states = [], [], []
        for p in ps:
            state = self.state[p]
            for name in self._buffers_for(group):
                if not state[name].is_contiguous():
                    state[name] = state[name].contiguous()
            targets.append(p if p.is_contiguous() else p.contiguous())
            g = p.grad if p.grad.is_contiguous() else p.grad.contiguous()
            grads.append(g)
            states.append(tuple(state[n]._data if n is not None else None for n in names))
        adaptive_kernels.adaptive_step(self._kind, [t._data for t in targets],
                                       [g._data for g in grads], states,
                                       **self._hyper(group, step))
        for p, t in zip(ps, targets):
            if t is not p:
                p.copy_(t)
            else:
                p._bump_version()
            for n in self._buffers_for(group):
                self.state[p][n]._bump_version()


class RMSprop(_Adaptive):
    _kind = "rmsprop"

    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0,
                 centered=False, capturable=False, foreach=None, maximize=False,
                 differentiable=False):
        lr = _lr(lr)
        _check("learning rate", lr, 0.0 <= lr)
        _check("epsilon value", eps, 0.0 <= eps)
        _check("momentum value", momentum, 0.0 <= momentum)
        _check("weight_decay value", weight_decay, 0.0 <= weight_decay)
        _check("alpha value", alpha, 0.0 <= alpha)
        defaults = dict(lr=lr, momentum=momentum, alpha=alpha, eps=eps, centered=centered,
                        weight_decay=weight_decay, capturable=capturable, foreach=foreach,
                        maximize=maximize, differentiable=differentiable)
        super().__init__(params, defaults)

    def _buffers_for(self, group):
        names = ["square_avg"]
        if group["momentum"] > 0:
            names.append("momentum_buffer")
        if group["centered"]:
            names.append("grad_avg")
        return names

    def _state_slots(self, group):
        return ("square_avg", "momentum_buffer" if group["momentum"] > 0 else None,
                "grad_avg" if group["centered"] else None)

    def _hyper(self, group, step):
        return dict(lr=group["lr"], rho=group["alpha"], eps=group["eps"],
                    weight_decay=group["weight_decay"], momentum=group["momentum"],
                    maximize=group["maximize"], centered=group["centered"])


class Adagrad(_Adaptive):
    _kind = "adagrad"

    def __init__(self, params, lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0,
                 eps=1e-10, foreach=None, *, maximize=False, differentiable=False, fused=None):
        lr = _lr(lr)
        _check("learning rate", lr, 0.0 <= lr)
        _check("lr_decay value", lr_decay, 0.0 <= lr_decay)
        _check("weight_decay value", weight_decay, 0.0 <= weight_decay)
        _check("initial_accumulator_value value", initial_accumulator_value,
               0.0 <= initial_accumulator_value)
        _check("epsilon value", eps, 0.0 <= eps)
        defaults = dict(lr=lr, lr_decay=lr_decay, eps=eps, weight_decay=weight_decay,
                        initial_accumulator_value=initial_accumulator_value, foreach=foreach,
                        maximize=maximize, differentiable=differentiable, fused=fused)
        super().__init__(params, defaults)
        # torch creates Adagrad's state eagerly, in the constructor
        for group in self.param_groups:
            for p in group["params"]:
                self._init_state(p, group)

    def _init_state(self, p, group):
        state = self.state[p]
        state["step"] = tensor(0.0)
        state["sum"] = full_like(p, group["initial_accumulator_value"]).contiguous()

    def _buffers_for(self, group):
        return ("sum",)

    def _state_slots(self, group):
        return ("sum", None, None)

    def _hyper(self, group, step):
        clr = group["lr"] / (1 + (step - 1) * group["lr_decay"])
        return dict(lr=clr, eps=group["eps"], weight_decay=group["weight_decay"],
                    maximize=group["maximize"])


class Adadelta(_Adaptive):
    _kind = "adadelta"
    _buffers = ("square_avg", "acc_delta")

    def __init__(self, params, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0, foreach=None, *,
                 capturable=False, maximize=False, differentiable=False):
        lr = _lr(lr)
        _check("learning rate", lr, 0.0 <= lr)
        _check("rho value", rho, 0.0 <= rho <= 1.0)
        _check("epsilon value", eps, 0.0 <= eps)
        _check("weight_decay value", weight_decay, 0.0 <= weight_decay)
        defaults = dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay, maximize=maximize,
                        capturable=capturable, foreach=foreach, differentiable=differentiable)
        super().__init__(params, defaults)

    def _state_slots(self, group):
        return ("square_avg", "acc_delta", None)

    def _hyper(self, group, step):
        return dict(lr=group["lr"], rho=group["rho"], eps=group["eps"],
                    weight_decay=group["weight_decay"], maximize=group["maximize"])


__all__ = ["RMSprop", "Adagrad", "Adadelta"]
