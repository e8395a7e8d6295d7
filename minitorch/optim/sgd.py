"""SGD with momentum, dampening, nesterov, weight decay and maximize — one fused multi-tensor
Triton launch per group of up to four parameters (minitorch/ops/optim.py)."""
from ..autograd import grad_mode
from ..creation import empty_like
from ..ops import optim as optim_kernels
from ..tensor import Tensor
from .optimizer import Optimizer, _params_with_grad, required


def _contig(t):
    return t if t.is_contiguous() else t.contiguous()


class SGD(Optimizer):
    def __init__(self, params, lr=1e-3, momentum=0, dampening=0, weight_decay=0,
                 nesterov=False, *, maximize=False, foreach=None, differentiable=False,
                 fused=None):
        if isinstance(lr, Tensor):
            lr = lr.item()
        if lr is not required and lr < 0.0:
            raise ValueError(f"Invalid learning rate: {lr}")
        if momentum < 0.0:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if weight_decay < 0.0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        defaults = dict(lr=lr, momentum=momentum, dampening=dampening,
                        weight_decay=weight_decay, nesterov=nesterov, maximize=maximize,
                        foreach=foreach, differentiable=differentiable, fused=fused)
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        super().__init__(params, defaults)

    def step(self, closure=None):
        loss = self._closure(closure)
        with grad_mode.no_grad():
            for group in self.param_groups:
                lr, momentum = group["lr"], group["momentum"]
                # parameters batched per launch share dtype and whether their momentum buffer
                # is new (the first step copies the gradient into it)
                batches = {}
                for p in _params_with_grad(group):
                    g = _contig(p.grad)
                    if g.dtype != p.dtype:
                        g = g.to(p.dtype)
                    buf = None
                    first = False
                    if momentum != 0:
                        state = self.state[p]
                        buf = state.get("momentum_buffer")
                        if buf is None:
                            buf = empty_like(p).contiguous()
                            state["momentum_buffer"] = buf
                            first = True
                    target = p if p.is_contiguous() else p.contiguous()
                    batches.setdefault((first, p.dtype, p.device), []).append((p, target, g, buf))
                for (first, _, _), items in batches.items():
                    optim_kernels.sgd_step([t._data for _, t, _, _ in items],
                                           [g._data for _, _, g, _ in items],
                                           [None if b is None else b._data for _, _, _, b in items],
                                           lr, group["weight_decay"], momentum, group["dampening"],
                                           first, group["nesterov"], group["maximize"])
                    for p, target, _, buf in items:
                        if target is not p:
                            p.copy_(target)
                        else:
                            p._bump_version()
                        if buf is not None:
                            buf._bump_version()
        return loss


__all__ = ["SGD"]
