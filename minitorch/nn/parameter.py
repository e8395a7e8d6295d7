"""``nn.Parameter``: a leaf Tensor that a Module registers as one of its parameters."""
from ..creation import empty
from ..tensor import Tensor


class Parameter(Tensor):
    """Shares ``data``'s storage; requires grad by default."""

    def __init__(self, data=None, requires_grad=True):
        if data is None:
            data = empty(0)
        if not isinstance(data, Tensor):
            raise TypeError(f"Parameter data must be a Tensor, got {type(data).__name__}")
        self._init(data._data, False)
        self.requires_grad = requires_grad

    def __repr__(self):
        return "Parameter containing:\n" + super().__repr__()

    def __deepcopy__(self, memo):
        # torch's Parameter.__deepcopy__: a fresh parameter of a copy of the data; the .grad
        # (and other attributes) are not copied
        if id(self) in memo:
            return memo[id(self)]
        result = type(self)(self.detach().clone(), self.requires_grad)
        memo[id(self)] = result
        return result

    def __reduce_ex__(self, proto):
        raise TypeError("minitorch parameters are not picklable: save a state_dict with "
                        "minitorch.save")


__all__ = ["Parameter"]
