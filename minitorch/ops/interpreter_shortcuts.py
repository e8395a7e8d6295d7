"""Shortcuts through Triton 3.8's frontend for interpreted kernels.

Under the interpreter every ``tl`` op walks Triton's semantic layer, which rebuilds the same
immutable values over and over: a flat 3-element ``a + b`` constructs 13 ``block_type``s (each
validates its shape and formats a name), 17 ``tl.tensor``s (each wraps its shape in fresh
``constexpr``s), rebuilds a 13-entry dtype table 6 times (``_get_np_dtype``), and broadcasts two
blocks of one shape to that same shape (Triton compares the shape tuple with a list, which is
never equal, so both operands get a ``np.broadcast_to`` copy and a new type). That is most of
the time a small kernel takes.

While ``launcher._InterpreterPath`` runs a kernel (and only then: Triton's standard path, which
the tests compare against, never sees them) these are replaced by versions that return equal
values from caches:

* ``block_type.with_element_ty`` and the builder's ``get_block_ty``: one ``block_type`` per
  (element type, shape);
* ``tl.tensor.__init__``: the shape's ``constexpr`` tuple and numel cached per shape;
* ``broadcast_impl_value`` of two blocks of one shape: the operands as they are;
* ``interpreter._get_np_dtype``: a table built once.

The constructor checks the internals are what this code expects (else ``Unavailable``), and the
launch path's probe and ``tests/test_launcher.py`` compare results bit for bit with Triton's own
path on every kernel family. They are installed inside the launch's ``try`` and restored in its
``finally`` (an interrupt mid-kernel leaves none behind; one landing inside ``restore`` itself
could leave some until the next launch restores them — they give equal values either way).
"""
import inspect
import math

import triton.language as tl

_MAX_CACHED = 4096


class Unavailable(RuntimeError):
    """Triton's internals are not what these shortcuts were written against."""


class Shortcuts:
    def __init__(self):
        from triton.language import core
        from triton.language.semantic import TritonSemantic
        from triton.runtime import interpreter as interp  # private: checked below

        self.interp, self.core = interp, core
        self.semantic = getattr(interp, "interpreter_semantic", None)
        self.builder = getattr(interp, "interpreter_builder", None)
        if not isinstance(self.semantic, TritonSemantic) or self.builder is None:
            raise Unavailable("no interpreter_semantic / interpreter_builder")
        for obj, name in [(TritonSemantic, "broadcast_impl_value"), (type(self.builder),
                          "get_block_ty"), (tl.block_type, "with_element_ty"),
                          (interp, "_get_np_dtype")]:
            if not callable(getattr(obj, name, None)):
                raise Unavailable(f"no {name}")
        if list(inspect.signature(tl.tensor.__init__).parameters) != ["self", "handle", "type"]:
            raise Unavailable("tl.tensor(handle, type)")
        probe = tl.tensor(None, tl.block_type(tl.float32, [4]))
        if set(vars(probe)) != {"handle", "shape", "numel", "type", "dtype"}:
            raise Unavailable(f"tl.tensor attributes {sorted(vars(probe))}")
        if type(probe.shape) is not core.tuple or type(probe.numel) is not core.constexpr:
            raise Unavailable("tl.tensor shape / numel types")

        self.original_broadcast = TritonSemantic.broadcast_impl_value
        self.original_with_element_ty = tl.block_type.with_element_ty
        self.original_tensor_init = tl.tensor.__init__
        self.original_np_dtype = interp._get_np_dtype
        self.blocks = {}  # (element type: kind, name, address space, const; shape) -> block_type
        self.shapes = {}  # shape -> (constexpr values, their tuple type, constexpr numel)
        self.np_dtypes = {}  # dtype name -> numpy dtype
        self._make_replacements()

    def _make_replacements(self):
        blocks, shapes, np_dtypes = self.blocks, self.shapes, self.np_dtypes
        block_type, constexpr, tl_tuple = tl.block_type, self.core.constexpr, self.core.tuple
        original_broadcast, semantic = self.original_broadcast, self.semantic
        original_np_dtype, pointer_type = self.original_np_dtype, tl.pointer_type

        def dims(shape):
            """A block shape as a plain tuple of ints (Triton keeps it as its own ``tuple``,
            whose hashing and comparison are slow), or None for anything else."""
            kind = type(shape)
            if kind is tl_tuple:
                shape = shape.values
            elif kind is not list and kind is not tuple:
                return None
            for s in shape:
                if type(s) is not int:
                    return None
            return tuple(shape)

        def block(element_ty, shape):
            key = (type(element_ty), element_ty.name, getattr(element_ty, "address_space", None),
                   getattr(element_ty, "const", None), shape)
            ty = blocks.get(key)
            if ty is None:
                if len(blocks) >= _MAX_CACHED:
                    blocks.clear()
                ty = blocks[key] = block_type(element_ty, list(shape))
            return ty

        def with_element_ty(self, scalar_ty):
            shape = dims(self.shape)
            if shape is None:
                return block_type(scalar_ty, self.shape)
            return block(scalar_ty, shape)

        def get_block_ty(dtype, shape):
            plain = dims(shape)
            if plain is None:
                return block_type(dtype, shape)
            return block(dtype, plain)

        def tensor_init(self, handle, type):
            self.handle = handle
            if type.is_block():
                shape = dims(type.shape)
                meta = shapes.get(shape) if shape is not None else None
                if meta is None:
                    # a fresh Triton tuple per tensor (it is mutable), its type computed once
                    values = tl_tuple([constexpr(s) for s in type.shape])
                    meta = (values.values, values.type, constexpr(math.prod(type.shape)))
                    if shape is not None:
                        if len(shapes) >= _MAX_CACHED:
                            shapes.clear()
                        shapes[shape] = meta
                self.shape = tl_tuple(meta[0], meta[1])
                self.numel = meta[2]
            else:
                self.shape, self.numel = tl_tuple([]), constexpr(1)
            self.type = type
            self.dtype = type.scalar

        def broadcast_impl_value(lhs, rhs):
            lt, rt = lhs.type, rhs.type
            if type(lt) is block_type and type(rt) is block_type:
                shape = dims(lt.shape)
                if shape is not None and shape == dims(rt.shape):
                    return lhs, rhs
            return original_broadcast(semantic, lhs, rhs)

        pointer_np_dtype = original_np_dtype(pointer_type(tl.float32))  # addresses

        def get_np_dtype(tt_dtype):
            if isinstance(tt_dtype, pointer_type):
                return pointer_np_dtype
            name = getattr(tt_dtype, "name", None)
            found = np_dtypes.get(name) if type(name) is str else None
            if found is None:
                found = original_np_dtype(tt_dtype)
                if type(name) is str and type(tt_dtype) is tl.dtype:
                    np_dtypes[name] = found
            return found

        self.replacements = [(tl.block_type, "with_element_ty", with_element_ty),
                             (tl.tensor, "__init__", tensor_init),
                             (self.interp, "_get_np_dtype", get_np_dtype)]
        self.instance_replacements = [(self.semantic, "broadcast_impl_value",
                                       broadcast_impl_value),
                                      (self.builder, "get_block_ty", get_block_ty)]
        self.originals = [(tl.block_type, "with_element_ty", self.original_with_element_ty),
                          (tl.tensor, "__init__", self.original_tensor_init),
                          (self.interp, "_get_np_dtype", self.original_np_dtype)]

    def install(self):
        for obj, name, value in self.replacements:
            setattr(obj, name, value)
        for obj, name, value in self.instance_replacements:
            vars(obj)[name] = value

    def restore(self):
        for obj, name, value in self.originals:
            setattr(obj, name, value)
        for obj, name, _ in self.instance_replacements:
            vars(obj).pop(name, None)

    def active(self):
        """Whether any replacement is in place (tests check none outlives a launch)."""
        return (tl.tensor.__init__ is not self.original_tensor_init
                or tl.block_type.with_element_ty is not self.original_with_element_ty
                or self.interp._get_np_dtype is not self.original_np_dtype
                or any(name in vars(obj) for obj, name, _ in self.instance_replacements))


def make():
    """The shortcuts, or None where Triton's internals differ from what they expect."""
    try:
        return Shortcuts()
    except Exception:
        return None


__all__ = []
