"""``torch.nn.utils``: gradient clipping, parameter/vector conversion and ``skip_init``."""
from .. import init as _init
from .clip_grad import clip_grad_norm_, clip_grad_value_, get_total_norm
from .convert_parameters import parameters_to_vector, vector_to_parameters


def skip_init(module_cls, *args, **kwargs):
    """``module_cls(*args, **kwargs)`` with every ``nn.init`` initializer a no-op, as
    ``torch.nn.utils.skip_init``: the parameters hold whatever their fresh storage held, to be
    overwritten (``load_state_dict``, or your own init). Building a large model then launches no
    random kernels."""
    if not callable(module_cls):
        raise RuntimeError(f"Expected a Module class or callable, but got {module_cls}")
    with _init._skipping():
        return module_cls(*args, **kwargs)


__all__ = ["clip_grad_norm_", "clip_grad_value_", "get_total_norm", "parameters_to_vector",
           "vector_to_parameters", "skip_init"]
