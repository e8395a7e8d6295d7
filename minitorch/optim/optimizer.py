"""``Optimizer`` base: param groups with per-group options, state, zero_grad, state_dict."""
import copy
import warnings
from collections import defaultdict

from ..autograd import grad_mode, zero_grads
from ..tensor import Tensor


class _RequiredParameter:
    def __repr__(self):
        return "<required parameter>"


required = _RequiredParameter()


class Optimizer:
    def __init__(self, params, defaults):
        self.defaults = defaults
        if isinstance(params, Tensor):
            raise TypeError("params argument given to the optimizer should be an iterable of "
                            f"Tensors or dicts, but got {params.type()}")
        self.state = defaultdict(dict)
        self.param_groups = []
        param_groups = list(params)
        if len(param_groups) == 0:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(param_groups[0], dict):
            param_groups = [{"params": param_groups}]
        for group in param_groups:
            self.add_param_group(group)

    def __getstate__(self):
        return {"defaults": self.defaults, "state": self.state, "param_groups": self.param_groups}

    def __setstate__(self, state):
        self.__dict__.update(state)

    def __repr__(self):
        s = self.__class__.__name__ + " ("
        for i, group in enumerate(self.param_groups):
            s += "\n"
            s += f"Parameter Group {i}\n"
            for key in sorted(group.keys()):
                if key != "params":
                    s += f"    {key}: {group[key]}\n"
        s += ")"
        return s

    def add_param_group(self, param_group):
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(param_group).__name__}")
        params = param_group["params"]
        if isinstance(params, Tensor):
            param_group["params"] = [params]
        elif isinstance(params, set):
            raise TypeError("optimizer parameters need to be organized in ordered collections, "
                            "but the ordering of tensors in sets will change between runs. Please "
                            "use a list instead.")
        else:
            param_group["params"] = list(params)
        # torch 2.x: params may be (name, tensor) pairs (model.named_parameters()); the names go
        # into the group's "param_names"
        names = [p[0] for p in param_group["params"] if isinstance(p, tuple)]
        param_group["params"] = [p[1] if isinstance(p, tuple) else p
                                 for p in param_group["params"]]
        if names:
            if len(names) != len(param_group["params"]):
                raise ValueError("all optimizer params should be with/without names. Some param "
                                 "names are missing")
            param_group["param_names"] = names
        for p in param_group["params"]:
            if not isinstance(p, Tensor):
                raise TypeError("optimizer can only optimize Tensors, but one of the params is "
                                + type(p).__name__)
            if not p.is_leaf:
                raise ValueError("can't optimize a non-leaf Tensor")
        for name, default in self.defaults.items():
            if default is required and name not in param_group:
                raise ValueError(f"parameter group didn't specify a value of required "
                                 f"optimization parameter {name}")
            param_group.setdefault(name, default)
        if self.param_groups and \
                ("param_names" in param_group) != ("param_names" in self.param_groups[0]):
            raise ValueError(f"all optimizer param groups should be with/without names. cannot "
                             f"add param group "
                             f"{'with' if 'param_names' in param_group else 'without'} names to "
                             f"the optimizer")
        params = param_group["params"]
        if len(params) != len(set(map(id, params))):
            warnings.warn("optimizer contains a parameter group with duplicate parameters; in "
                          "future, this will cause an error", stacklevel=3)
        seen = set()
        for group in self.param_groups:
            seen.update(map(id, group["params"]))
        if not seen.isdisjoint(set(map(id, params))):
            raise ValueError("some parameters appear in more than one parameter group")
        self.param_groups.append(param_group)

    def zero_grad(self, set_to_none=True):
        zero_grads((p for group in self.param_groups for p in group["params"]), set_to_none)

    def step(self, closure=None):
        raise NotImplementedError

    def _closure(self, closure):
        if closure is None:
            return None
        with grad_mode.enable_grad():
            return closure()

    # ------------------------------------------------------------------ state dict
    def state_dict(self):
        mapping = {}
        index = 0

        def pack_group(group):
            nonlocal index
            packed = {k: v for k, v in group.items() if k != "params"}
            for p in group["params"]:
                if id(p) not in mapping:
                    mapping[id(p)] = index
                    index += 1
            packed["params"] = [mapping[id(p)] for p in group["params"]]
            return packed

        param_groups = [pack_group(g) for g in self.param_groups]
        packed_state = {}
        for group in self.param_groups:
            for p in group["params"]:
                if p in self.state and self.state[p]:
                    packed_state[mapping[id(p)]] = self.state[p]
        return {"state": packed_state, "param_groups": param_groups}

    def load_state_dict(self, state_dict):
        groups = self.param_groups
        saved_groups = state_dict["param_groups"]
        if len(groups) != len(saved_groups):
            raise ValueError("loaded state dict has a different number of parameter groups")
        if any(len(g["params"]) != len(s["params"]) for g, s in zip(groups, saved_groups)):
            raise ValueError("loaded state dict contains a parameter group that doesn't match "
                             "the size of optimizer's group")
        id_map = {}
        for g, s in zip(groups, saved_groups):
            for old_id, p in zip(s["params"], g["params"]):
                id_map[old_id] = p
        # validate tensor shapes before touching anything
        saved_state = state_dict["state"]
        for k, v in saved_state.items():
            key = k if k in id_map else (int(k) if isinstance(k, str) and k.isdigit() else k)
            if key not in id_map:
                continue
            p = id_map[key]
            for name, value in v.items():
                if isinstance(value, Tensor) and name != "step" and \
                        tuple(value.shape) != tuple(p.shape):
                    raise ValueError(f"loaded state for '{name}' has shape {list(value.shape)}, "
                                     f"expected {list(p.shape)}")
        state = defaultdict(dict)
        with grad_mode.no_grad():
            for k, v in saved_state.items():
                key = k if k in id_map else (int(k) if isinstance(k, str) and k.isdigit() else k)
                if key not in id_map:
                    continue
                p = id_map[key]
                new = {}
                for name, value in v.items():
                    if isinstance(value, Tensor):
                        value = value.detach()
                        if value.is_floating_point() and value.dtype != p.dtype:
                            value = value.to(p.dtype)
                        if value.device != p.device:
                            value = value.to(p.device)
                        value = value.clone()
                    else:
                        value = copy.deepcopy(value)
                    new[name] = value
                state[p] = new
        new_groups = []
        for g, s in zip(groups, saved_groups):
            ng = {k: copy.deepcopy(v) for k, v in s.items() if k != "params"}
            for k, v in self.defaults.items():  # options newer than the saved dict (as torch's
                ng.setdefault(k, v)              # __setstate__ fills them)
            ng["params"] = g["params"]
            new_groups.append(ng)
        self.state = state
        self.param_groups = new_groups


def _params_with_grad(group):
    for p in group["params"]:
        if p.grad is None:
            continue
        yield p


__all__ = ["required", "Optimizer"]
