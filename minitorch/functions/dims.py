"""The ``dim`` argument of reductions, shape ops and indexing, normalized as torch does."""
import functools
import numbers

__all__ = ["normalize_dims", "numpy_aliases"]


def normalize_dims(dim, ndim, name="dim"):
    """None -> all dims; int or sequence -> sorted tuple of non-negative dims (with torch's
    IndexError for out-of-range dims)."""
    if dim is None:
        return tuple(range(ndim))
    dims = (dim,) if isinstance(dim, numbers.Integral) else tuple(dim)
    if not dims and ndim >= 0:
        return tuple(range(ndim))
    out = []
    span = max(ndim, 1)
    for d in dims:
        if not -span <= d < span:
            raise IndexError(f"Dimension out of range (expected to be in range of [{-span}, "
                             f"{span - 1}], but got {d})")
        out.append(d % span)
    if len(set(out)) != len(out):
        raise RuntimeError(f"dim {out[0]} appears multiple times in the list of dims")
    return tuple(sorted(out)) if ndim else ()


def numpy_aliases(fn):
    """Accept numpy's spellings as torch's argument parser does: ``axis=`` for ``dim=`` and
    ``keepdims=`` for ``keepdim=``."""
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        if "axis" in kwargs:
            if "dim" in kwargs:
                raise TypeError(f"{fn.__name__}() got multiple values for argument 'dim'")
            kwargs["dim"] = kwargs.pop("axis")
        if "keepdims" in kwargs:
            if "keepdim" in kwargs:
                raise TypeError(f"{fn.__name__}() got multiple values for argument 'keepdim'")
            kwargs["keepdim"] = kwargs.pop("keepdims")
        return fn(*args, **kwargs)
    return wrapper
