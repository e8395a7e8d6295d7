"""``torchvision.models`` for the tests and benchmarks that compare against it.

A CPU-only torch with a torchvision build whose C extension does not load (missing CUDA
libraries) fails while registering fake kernels for torchvision's custom ops; the models need none
of them, so that registration is skipped.
"""
import importlib
import sys
import types

__all__ = ["torchvision_models"]


def torchvision_models():
    try:
        return importlib.import_module("torchvision.models")
    except RuntimeError as e:
        if "does not exist" not in str(e):
            raise
    for name in [n for n in sys.modules if n == "torchvision" or n.startswith("torchvision.")]:
        del sys.modules[name]
    sys.modules["torchvision._meta_registrations"] = types.ModuleType(
        "torchvision._meta_registrations")
    return importlib.import_module("torchvision.models")
