"""dtypes and devices are PyTorch's own objects (they are names, not math), so ``minitorch.float32``
prints ``torch.float32`` and user code may pass either. Type promotion follows PyTorch's rules."""
import builtins
import numbers

import torch

from ._tensor_ref import tensor_type

float32 = float = torch.float32
float64 = double = torch.float64
float16 = half = torch.float16
bfloat16 = torch.bfloat16
int64 = long = torch.int64
int32 = int = torch.int32
int16 = short = torch.int16
int8 = torch.int8
uint8 = torch.uint8
bool = torch.bool

dtype = torch.dtype
device = torch.device
Size = torch.Size

# memory formats are layout tags (like dtypes, torch's own objects)
memory_format = torch.memory_format
contiguous_format = torch.contiguous_format
channels_last = torch.channels_last
channels_last_3d = torch.channels_last_3d
preserve_format = torch.preserve_format

SUPPORTED = (torch.float32, torch.float64, torch.float16, torch.bfloat16, torch.int64, torch.int32,
             torch.int16, torch.int8, torch.uint8, torch.bool)

_default_dtype = [torch.float32]


def get_default_dtype():
    return _default_dtype[0]


def set_default_dtype(d):
    if d not in (torch.float32, torch.float64, torch.float16, torch.bfloat16):
        raise TypeError("only floating-point types are supported as the default type")
    _default_dtype[0] = d


def _category(dt):
    if dt == torch.bool:
        return 0
    if dt.is_floating_point:
        return 2
    return 1


def scalar_dtype(x):
    if isinstance(x, builtins.bool):
        return torch.bool
    if isinstance(x, numbers.Integral):
        return torch.int64
    if isinstance(x, numbers.Real):
        return get_default_dtype()
    raise TypeError(f"unsupported scalar type {type(x).__name__}")


def result_type(*operands):
    """PyTorch's promotion: dimensioned tensors > 0-d tensors > Python scalars, where a lower
    class only matters if its category (bool < integer < floating) is higher."""
    Tensor = tensor_type()
    groups = [[], [], []]  # dimensioned, zero-dim, scalars
    for x in operands:
        if isinstance(x, Tensor):
            groups[0 if x.dim() > 0 else 1].append(x.dtype)
        elif x is not None:
            groups[2].append(scalar_dtype(x))
    result = None
    for g in groups:
        if not g:
            continue
        dt = g[0]
        for other in g[1:]:
            dt = torch.promote_types(dt, other)
        if result is None:
            result = dt
        elif _category(dt) > _category(result):
            # a float scalar joining integer tensors gives the default float dtype
            result = dt if g is not groups[2] or _category(dt) != 2 else get_default_dtype()
    return result


_CHECKED_NAMES = {torch.int8: "int8_t", torch.uint8: "uint8_t", torch.int16: "int16_t",
                  torch.int32: "int", torch.int64: "int64_t", torch.float16: "c10::Half",
                  torch.bfloat16: "c10::BFloat16", torch.float32: "float", torch.float64: "double"}
_FLOAT_MAX = {torch.float16: 65504.0, torch.bfloat16: 3.3895313892515355e38,
              torch.float32: 3.4028234663852886e38}


def check_scalar_fits(value, dt):
    """torch's checked conversion of a Python number into a ``dt`` tensor (fill_, full,
    masked_fill, setitem, where/clamp scalars): a value out of the type's range raises
    "value cannot be converted to type ... without overflow" instead of wrapping. Arithmetic
    (``x + 300``) wraps and does not come here."""
    if isinstance(value, builtins.bool) or dt == torch.bool or \
            not isinstance(value, (numbers.Integral, numbers.Real)):
        return
    if isinstance(value, numbers.Integral):
        value = builtins.int(value)
        if value >= 2 ** 64:
            raise OverflowError("int too big to convert")
        if value < -(2 ** 63):
            raise OverflowError("can't convert negative int to unsigned")
    else:
        value = builtins.float(value)
    if dt.is_floating_point:
        limit = _FLOAT_MAX.get(dt)
        bad = limit is not None and value == value and abs(value) != builtins.float("inf") \
            and abs(value) > limit
    else:
        info = torch.iinfo(dt)
        if isinstance(value, builtins.float):
            lo = 0 if dt == torch.uint8 else info.min
            bad = not (lo <= value <= info.max)  # NaN and inf fail too
        else:  # an unsigned target takes negative ints down to -max (C++'s wrap-around)
            lo = -info.max if dt == torch.uint8 else info.min
            bad = not (lo <= value <= info.max)
    if bad:
        raise RuntimeError(f"value cannot be converted to type {_CHECKED_NAMES.get(dt, dt)} "
                           "without overflow")
