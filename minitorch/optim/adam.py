"""Adam and AdamW (amsgrad, maximize) — one fused Triton kernel launch per parameter per step,
following torch.optim.Adam's single-tensor update exactly."""
import math

from ..autograd import grad_mode
from ..creation import tensor, zeros_like
from ..ops import optim as optim_kernels
from ..tensor import Tensor
from .adaptive import _step_value
from .optimizer import Optimizer, _params_with_grad


class Adam(Optimizer):
    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 amsgrad=False, *, foreach=None, maximize=False, capturable=False,
                 differentiable=False, fused=None, decoupled_weight_decay=False):
        if isinstance(lr, Tensor):
            lr = lr.item()
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not 0.0 <= betas[0] < 1.0:
            raise ValueError(f"Invalid beta parameter at index 0: {betas[0]}")
        if not 0.0 <= betas[1] < 1.0:
            raise ValueError(f"Invalid beta parameter at index 1: {betas[1]}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        defaults = dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay,
                        amsgrad=amsgrad, maximize=maximize, foreach=foreach,
                        capturable=capturable, differentiable=differentiable, fused=fused,
                        decoupled_weight_decay=decoupled_weight_decay)
        super().__init__(params, defaults)

    def step(self, closure=None):
        loss = self._closure(closure)
        with grad_mode.no_grad():
            for group in self.param_groups:
                beta1, beta2 = group["betas"]
                lr, amsgrad = group["lr"], group["amsgrad"]
                for p in _params_with_grad(group):
                    state = self.state[p]
                    if len(state) == 0:
                        state["step"] = tensor(0.0)  # a 0-d float32 tensor, as torch keeps it
                        state["exp_avg"] = zeros_like(p).contiguous()
                        state["exp_avg_sq"] = zeros_like(p).contiguous()
                        if amsgrad:
                            state["max_exp_avg_sq"] = zeros_like(p).contiguous()
                    step = int(_step_value(state)) + 1
                    state["step"] = tensor(float(step))
                    g = p.grad if p.grad.is_contiguous() else p.grad.contiguous()
                    bias_correction1 = 1 - beta1 ** step
                    bias_correction2 = 1 - beta2 ** step
                    step_size = lr / bias_correction1
                    vmax = state.get("max_exp_avg_sq") if amsgrad else None
                    if amsgrad and vmax is None:
                        vmax = state["max_exp_avg_sq"] = zeros_like(p).contiguous()
                    target = p if p.is_contiguous() else p.contiguous()
                    optim_kernels.adam_step(target._data, g._data, state["exp_avg"]._data,
                                            state["exp_avg_sq"]._data,
                                            None if vmax is None else vmax._data,
                                            lr, beta1, beta2, group["eps"], group["weight_decay"],
                                            step_size, math.sqrt(bias_correction2),
                                            group.get("decoupled_weight_decay", False), amsgrad,
                                            group["maximize"])
                    if target is not p:
                        p.copy_(target)
                    else:
                        p._bump_version()
                    for k in ("exp_avg", "exp_avg_sq", "max_exp_avg_sq"):
                        if k in state:
                            state[k]._bump_version()
        return loss


class AdamW(Adam):
    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2,
                 amsgrad=False, *, maximize=False, foreach=None, capturable=False,
                 differentiable=False, fused=None):
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, foreach=foreach,
                         maximize=maximize, capturable=capturable,
                         differentiable=differentiable, fused=fused,
                         decoupled_weight_decay=True)


__all__ = ["Adam", "AdamW"]
