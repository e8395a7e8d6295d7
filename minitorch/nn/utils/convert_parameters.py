"""parameters_to_vector / vector_to_parameters, as torch.nn.utils.convert_parameters."""
from ...autograd import grad_mode
from ...functions import cat
from ...tensor import Tensor

__all__ = ["parameters_to_vector", "vector_to_parameters"]


def _check_device(param, old_param_device):
    device = param.device
    if old_param_device is None:
        return device
    if device != old_param_device:
        raise TypeError("Found two parameters on different devices, this is currently not "
                        "supported.")
    return old_param_device


def parameters_to_vector(parameters):
    """One 1-D tensor of all parameters, concatenated (differentiable, like torch)."""
    device = None
    vec = []
    for param in parameters:
        device = _check_device(param, device)
        vec.append(param.view(-1) if param.is_contiguous() else param.reshape(-1))
    return cat(vec)


def vector_to_parameters(vec, parameters):
    """Copy consecutive slices of ``vec`` into the parameters' ``.data``."""
    if not isinstance(vec, Tensor):
        raise TypeError(f"expected torch.Tensor, but got: {type(vec).__name__}")
    device = None
    pointer = 0
    for param in parameters:
        device = _check_device(param, device)
        n = param.numel()
        with grad_mode.no_grad():
            param.data = vec[pointer:pointer + n].view_as(param).data
        pointer += n
