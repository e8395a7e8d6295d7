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

    def __reduce_ex__(self, proto):
        raise TypeError("minitorch parameters are not picklable: save a state_dict with "
                        "minitorch.save")


__all__ = ["Parameter"]
