"""``save``/``load``: safetensors files written and read through the ``safetensors`` package, and
PyTorch checkpoints (``torch.save`` files) read through torch's weights-only loader. No pickle of
ours, no code from a file ever runs.

``save`` layout (safetensors): 8-byte little-endian header length N, N bytes of JSON header, raw
tensor bytes. The payload is written and parsed by the ``safetensors`` package; this module only
adds the nested structure. Nested containers are flattened: tensor keys are the '.'-joined path of
keys (``{"model": {"fc.weight": t}}`` -> ``"model.fc.weight"``); the structure itself, with every
non-tensor value (ints, floats, strings, lists, None ...), is stored as JSON in the safetensors
``__metadata__["minitorch.structure"]`` string, so ``load`` rebuilds the object exactly. Files
without that entry (written by other safetensors writers) load as a flat ``{name: Tensor}`` dict.

As with ``torch.load``, a ``Parameter`` comes back as a ``Parameter``, a tensor that requires
grad comes back requiring grad (both flags in its structure node), and a ``torch.Size`` as a Size.
Views are not shared after a round trip: each tensor is stored as its own bytes.

The structure is ours and is validated on load: only the node kinds and dtypes that ``save``
writes are accepted (a whitelist), nesting is bounded, and anything else raises ``ValueError``.

Real PyTorch reads these files with ``safetensors.torch.load_file(path)`` (the flat tensors, keys
as above) and, for the nesting, ``safe_open(path, "pt").metadata()["minitorch.structure"]``.

Writes to a path are atomic and crash-safe: a temporary file next to the destination
(``.tmp-<name>-<pid>-<random>``, created honouring the umask like ``torch.save``), flushed and
fsynced, then ``os.replace``d over the destination (through a symlink, onto its target), and the
folder fsynced. Temporary files left behind by a killed ``save`` (their process is gone) are
removed by the next ``save`` to the same path. File objects (``io.BytesIO``) are written and read
directly.

``load`` tells the format by its first bytes, never by the file name: ``PK\\x03\\x04`` (torch's zip
format) or a pickle protocol byte (torch's legacy format) go to ``torch.load(weights_only=True)``,
anything else must be safetensors.
"""
import io
import json
import math
import os
import re
import secrets
from collections import OrderedDict

import safetensors
import torch

from ._dtype import SUPPORTED
from .tensor import Tensor

_STRUCTURE_KEY = "minitorch.structure"
_FORMAT_KEY = "format"
_MAX_DEPTH = 100  # containers nested deeper than this are refused (save and load)

# safetensors dtype names <-> torch dtypes: the whitelist, both ways
_ST_NAME = {
    torch.float64: "F64", torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16",
    torch.int64: "I64", torch.int32: "I32", torch.int16: "I16", torch.int8: "I8",
    torch.uint8: "U8", torch.bool: "BOOL",
}
_FROM_ST = {v: k for k, v in _ST_NAME.items()}
# names in the structure's {"__dtype__": ...} node (never looked up with getattr)
_DTYPE_NODE = {str(d): d for d in _ST_NAME}


# ----------------------------------------------------------------------------- save
class _Flattener:
    def __init__(self):
        self.tensors = OrderedDict()
        self._active = set()  # ids of the containers on the current path (cycle check)

    def _name(self, path):
        base = ".".join(path) if path else "tensor"
        name, i = base, 1
        while name in self.tensors or name == "__metadata__":
            name = f"{base}#{i}"
            i += 1
        return name

    def encode(self, obj, path):
        if len(path) > _MAX_DEPTH:
            raise ValueError(f"minitorch.save: containers nested deeper than {_MAX_DEPTH} levels")
        if isinstance(obj, (Tensor, torch.Tensor)):
            name = self._name(path)
            self.tensors[name] = obj
            parameter = type(obj).__name__ == "Parameter" and isinstance(obj, Tensor)
            if parameter or obj.requires_grad:  # torch.load gives these back, so does load
                return {"__tensor__": name, "requires_grad": bool(obj.requires_grad),
                        "parameter": parameter}
            return {"__tensor__": name}
        if isinstance(obj, torch.Size):
            return {"__size__": [int(v) for v in obj]}
        if isinstance(obj, (dict, list, tuple)):
            if id(obj) in self._active:
                raise ValueError("minitorch.save: the object contains itself (a reference cycle)")
            self._active.add(id(obj))
            try:
                return self._container(obj, path)
            finally:
                self._active.discard(id(obj))
        if isinstance(obj, float) and not math.isfinite(obj):
            return {"__float__": repr(obj)}
        if obj is None or isinstance(obj, (bool, int, float, str)):
            return obj
        if isinstance(obj, torch.dtype):
            if str(obj) not in _DTYPE_NODE:
                raise TypeError(f"minitorch.save: unsupported dtype {obj}")
            return {"__dtype__": str(obj)}
        raise TypeError(f"minitorch.save cannot store objects of type {type(obj).__name__} "
                        "(tensors, dicts, lists, tuples, numbers, strings and None only)")

    def _container(self, obj, path):
        if isinstance(obj, dict):
            items = []
            for k, v in obj.items():
                if not (k is None or isinstance(k, (str, int, float, bool))):
                    raise TypeError(f"minitorch.save: dict keys must be str/int/float/bool, got "
                                    f"{type(k).__name__}")
                items.append([k, self.encode(v, path + [str(k)])])
            return {"__dict__": items, "ordered": isinstance(obj, OrderedDict)}
        if isinstance(obj, tuple):
            return {"__tuple__": [self.encode(v, path + [str(i)]) for i, v in enumerate(obj)]}
        return [self.encode(v, path + [str(i)]) for i, v in enumerate(obj)]


def _host_array(t):
    """A contiguous little-endian host numpy array holding ``t``'s bytes (bfloat16 as int16)."""
    if isinstance(t, Tensor):
        t = t.detach()
        if not t.is_contiguous():
            t = t.contiguous()  # a copy kernel
        storage = t._data
    else:
        storage = t.detach()
        if not storage.is_contiguous():
            storage = Tensor._make(storage).contiguous()._data
    if storage.dtype not in _ST_NAME:
        raise TypeError(f"minitorch.save: unsupported dtype {storage.dtype}")
    storage = storage.cpu()
    if storage.dtype == torch.bfloat16:
        storage = storage.view(torch.int16)
    return storage.numpy()


def _serialize(obj):
    flat = _Flattener()
    structure = flat.encode(obj, [])
    arrays, specs = [], {}
    for name, t in flat.tensors.items():
        arr = _host_array(t)
        arrays.append(arr)  # alive until serialize has copied the bytes
        specs[name] = safetensors.TensorSpec(
            dtype=str(t.dtype).split(".")[-1], shape=list(t.shape),
            data_ptr=arr.ctypes.data if arr.nbytes else 0, data_len=arr.nbytes)
    metadata = {_FORMAT_KEY: "pt", _STRUCTURE_KEY: json.dumps(structure, separators=(",", ":"))}
    out = safetensors.serialize(specs, metadata=metadata)
    del arrays
    return out


# torch.serialization.MAGIC_NUMBER (0x1950a86a20f9469cfc6c) as pickle writes it: the legacy format
# (``_use_new_zipfile_serialization=False``) starts with it
_TORCH_LEGACY_MAGIC = (0x1950A86A20F9469CFC6C).to_bytes(10, "little")
_TMP_RE = re.compile(r"(\d+)-[0-9a-f]+")


def _remove_stale_temps(folder, base):
    """Delete ``.tmp-<base>-<pid>-<hex>`` files whose writing process no longer exists (left by
    a save that was killed)."""
    prefix = f".tmp-{base}-"
    try:
        names = os.listdir(folder)
    except OSError:
        return
    for name in names:
        if not name.startswith(prefix):
            continue
        m = _TMP_RE.fullmatch(name[len(prefix):])
        if m is None:
            continue
        pid = int(m.group(1))
        if pid == os.getpid():
            continue  # ours: a concurrent save in another thread owns it
        try:
            os.kill(pid, 0)
            continue  # its process is alive: possibly still writing
        except ProcessLookupError:
            pass
        except (PermissionError, OverflowError, OSError):
            continue
        try:
            os.unlink(os.path.join(folder, name))
        except OSError:
            pass


def _write_atomic(path, data):
    path = os.path.realpath(path)  # a symlink is written through: its target is replaced
    folder, base = os.path.split(path)
    if os.path.isdir(path):  # torch.save raises RuntimeError for both of these
        raise RuntimeError(f"minitorch.save: open file failed with strerror: Is a directory "
                           f"({path})")
    if not os.path.isdir(folder):
        raise RuntimeError(f"Parent directory {folder} does not exist.")
    _remove_stale_temps(folder, base)
    tmp = os.path.join(folder, f".tmp-{base}-{os.getpid()}-{secrets.token_hex(4)}")
    # 0o666 & ~umask, as open(path, "wb") (torch.save) creates files; an existing file keeps its
    # permission bits, as it would if it were overwritten in place
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0), 0o666)
    try:
        try:
            os.chmod(tmp, os.stat(path).st_mode & 0o7777)
        except FileNotFoundError:
            pass
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    try:  # make the rename durable
        dfd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)
    except OSError:
        pass


def save(obj, f):
    """Write ``obj`` (a tensor, or a possibly nested dict/list/tuple of tensors and plain values)
    to ``f`` in the safetensors format: a path (written atomically) or a writable binary file
    object."""
    data = _serialize(obj)
    if hasattr(f, "write"):
        f.write(data)
        if hasattr(f, "flush"):
            f.flush()
        return
    _write_atomic(os.fspath(f), data)


# ----------------------------------------------------------------------------- load
def _bad(path, why):
    return ValueError(f"minitorch.load: {path} is not a valid safetensors file ({why})")


def _decode(node, tensors, depth=0):
    if depth > _MAX_DEPTH:
        raise ValueError(f"structure nested deeper than {_MAX_DEPTH} levels")
    if node is None or isinstance(node, (bool, int, float, str)):
        return node
    if isinstance(node, list):
        return [_decode(v, tensors, depth + 1) for v in node]
    if not isinstance(node, dict):
        raise ValueError(f"unknown structure node of type {type(node).__name__}")
    keys = set(node)
    if keys == {"__tensor__"}:
        name = node["__tensor__"]
        if not isinstance(name, str) or name not in tensors:
            raise ValueError(f"structure names missing tensor {str(name)[:80]!r}")
        return tensors[name]
    if keys == {"__tensor__", "requires_grad", "parameter"}:
        flags = (node["requires_grad"], node["parameter"])
        if not all(isinstance(v, bool) for v in flags):
            raise ValueError("malformed tensor node")
        t = _decode({"__tensor__": node["__tensor__"]}, tensors, depth)
        if node["parameter"]:
            from .nn.parameter import Parameter  # nn builds on the package root
            return Parameter(t, requires_grad=node["requires_grad"])
        return t.requires_grad_(node["requires_grad"])
    if keys == {"__size__"}:
        dims = node["__size__"]
        if not (isinstance(dims, list) and all(type(v) is int and v >= 0 for v in dims)):
            raise ValueError("malformed size node")
        return torch.Size(dims)
    if keys == {"__dict__", "ordered"}:
        items, ordered = node["__dict__"], node["ordered"]
        if not isinstance(items, list) or not isinstance(ordered, bool):
            raise ValueError("malformed dict node")
        out = OrderedDict() if ordered else {}
        for item in items:
            if not (isinstance(item, list) and len(item) == 2):
                raise ValueError("malformed dict item")
            k, v = item
            if not (k is None or isinstance(k, (str, int, float, bool))):
                raise ValueError(f"dict key of type {type(k).__name__}")
            out[k] = _decode(v, tensors, depth + 1)
        return out
    if keys == {"__tuple__"}:
        if not isinstance(node["__tuple__"], list):
            raise ValueError("malformed tuple node")
        return tuple(_decode(v, tensors, depth + 1) for v in node["__tuple__"])
    if keys == {"__float__"}:
        if not isinstance(node["__float__"], str) or \
                node["__float__"] not in ("inf", "-inf", "nan"):
            raise ValueError("malformed float node")
        return float(node["__float__"])
    if keys == {"__dtype__"}:
        if not isinstance(node["__dtype__"], str) or node["__dtype__"] not in _DTYPE_NODE:
            raise ValueError(f"unsupported dtype {str(node['__dtype__'])[:40]!r}")
        return _DTYPE_NODE[node["__dtype__"]]
    raise ValueError("unknown structure node")


def _device(map_location):
    if map_location is None:
        return None
    if isinstance(map_location, (str, torch.device)):
        return torch.device(map_location)
    if isinstance(map_location, dict):
        target = map_location.get("cpu")
        return torch.device(target) if target is not None else None
    raise TypeError("minitorch.load: map_location must be a str, torch.device or dict for "
                    f"safetensors files, got {type(map_location).__name__}")


def _load_safetensors(raw, name, map_location):
    device = _device(map_location)
    try:
        entries = safetensors.deserialize(raw)
    except Exception as e:  # SafetensorError: the file is not valid safetensors
        why = str(e).replace("Error while deserializing: ", "").splitlines()[0][:200]
        raise _bad(name, why) from None
    tensors = {}
    for key, info in entries:
        dtype = _FROM_ST.get(info["dtype"])
        if dtype is None:
            raise _bad(name, f"unsupported dtype {info['dtype']} for {key[:80]!r}")
        buf, shape = info["data"], info["shape"]
        if len(buf):
            if dtype == torch.bfloat16:
                st = torch.frombuffer(buf, dtype=torch.int16).view(torch.bfloat16)
            else:
                st = torch.frombuffer(buf, dtype=dtype)
            st = st.reshape(shape)
        else:
            st = torch.empty(shape, dtype=dtype)
        if device is not None and device != st.device:
            st = st.to(device)
        tensors[key] = Tensor._make(st)
    n = int.from_bytes(raw[:8], "little")
    try:  # the header is valid: safetensors has just parsed it
        meta = json.loads(bytes(raw[8:8 + n]).decode("utf-8")).get("__metadata__") or {}
    except (ValueError, RecursionError, AttributeError):
        raise _bad(name, "header is not valid JSON") from None
    if _STRUCTURE_KEY not in meta:
        return tensors
    try:
        structure = json.loads(meta[_STRUCTURE_KEY])
    except (ValueError, RecursionError):
        raise _bad(name, "structure metadata is not valid JSON") from None
    try:
        return _decode(structure, tensors)
    except ValueError as e:
        raise _bad(name, str(e)) from None


def _torch_reason(e):
    """One line from torch's (long) refusal message that says what was refused."""
    text = str(e)
    for line in text.splitlines():
        line = line.strip()
        m = re.search(r"(Unsupported global: GLOBAL \S+|unsupported GLOBAL \S+|Unsupported "
                      r"operand \d+|Unsupported class \S+)", line)
        if m:
            return m.group(1).rstrip(".")
    first = text.strip().splitlines()[0] if text.strip() else type(e).__name__
    if first.startswith("Weights only load failed"):
        for line in text.splitlines()[1:]:
            if line.strip() and "weights_only" not in line and "PyTorch 2.6" not in line:
                return line.strip()[:200]
    return first.split(". ")[0][:200]


def _from_torch(obj, name, memo, path, depth=0):
    """torch.load's result -> minitorch tensors in the same plain containers; anything else is
    refused."""
    where = ".".join(path) or "the top level"
    if depth > _MAX_DEPTH:
        raise ValueError(f"minitorch.load: {name} nests containers deeper than {_MAX_DEPTH} levels")
    if isinstance(obj, torch.Tensor):
        if id(obj) in memo:
            return memo[id(obj)]
        if obj.layout != torch.strided or obj.is_quantized or obj.dtype not in SUPPORTED:
            kind = obj.dtype if obj.dtype not in SUPPORTED else (
                "quantized" if obj.is_quantized else obj.layout)
            raise ValueError(f"minitorch.load: {name} holds a {kind} tensor at {where}, which "
                             "minitorch does not support")
        t = Tensor._make(obj.detach())
        memo[id(obj)] = t
        return t
    if type(obj) in (dict, OrderedDict):
        out = OrderedDict() if type(obj) is OrderedDict else {}
        for k, v in obj.items():
            out[k] = _from_torch(v, name, memo, path + [str(k)], depth + 1)
        return out
    if type(obj) in (list, tuple, set, frozenset):
        return type(obj)(_from_torch(v, name, memo, path + [str(i)], depth + 1)
                         for i, v in enumerate(obj))
    if obj is None or type(obj) in (bool, int, float, complex, str, bytes, torch.Size,
                                    torch.dtype, torch.device):
        return obj
    raise ValueError(f"minitorch.load: {name} holds a {type(obj).__module__}."
                     f"{type(obj).__qualname__} at {where}; only tensors and plain containers "
                     "(dict, OrderedDict, list, tuple, numbers, strings) are loaded")


def _load_torch(raw, name, map_location, kind):
    try:
        obj = torch.load(io.BytesIO(raw), map_location=map_location, weights_only=True)
    except Exception as e:
        if "Weights only load failed" in str(e):
            raise ValueError(
                f"minitorch.load: {name} is a PyTorch checkpoint ({kind}) holding objects other "
                f"than tensors and plain containers, refused by torch's weights-only loader "
                f"({_torch_reason(e)}); save its state_dict() instead") from None
        if isinstance(e, RuntimeError) and "deserialize object on" in str(e):
            # saved on a device this machine lacks: torch's RuntimeError, with what to do
            raise RuntimeError(f"minitorch.load: {name}: {_torch_reason(e)}; pass "
                               "map_location='cpu'") from None
        raise ValueError(f"minitorch.load: {name} is not a valid PyTorch checkpoint ({kind}): "
                         f"{_torch_reason(e)}") from None
    return _from_torch(obj, name, {}, [])


def load(f, map_location=None, pickle_module=None, *, weights_only=True, mmap=None):
    """Read ``f`` (a path or a readable binary file object): a file written by ``save`` or any
    safetensors file, or a PyTorch checkpoint written by ``torch.save`` (zip or legacy format),
    which is read by ``torch.load(..., weights_only=True)`` — only tensors and plain containers,
    no code runs — and returned with minitorch tensors. The format is told by the first bytes.

    ``weights_only`` and ``mmap`` are accepted for compatibility with ``torch.load``; loading is
    always weights-only (minitorch never unpickles arbitrary objects)."""
    if pickle_module is not None:
        raise TypeError("minitorch.load does not take a pickle_module: it never unpickles "
                        "arbitrary objects (PyTorch checkpoints go through torch's weights-only "
                        "loader)")
    if hasattr(f, "read"):
        name = getattr(f, "name", None) or type(f).__name__
        raw = f.read()
        if not isinstance(raw, (bytes, bytearray)):
            raise TypeError("minitorch.load: the file object must be opened in binary mode")
    else:
        name = os.fspath(f)
        with open(name, "rb") as fh:
            raw = fh.read()
    if raw[:4] == b"PK\x03\x04":
        return _load_torch(raw, name, map_location, "zip format")
    if raw[8:9] == b"{":  # a safetensors header (its length's low byte may look like a pickle's)
        return _load_safetensors(raw, name, map_location)
    if raw[:1] == b"\x80" and raw[1:2] in (b"\x02", b"\x03", b"\x04", b"\x05"):
        if _TORCH_LEGACY_MAGIC in raw[:64]:
            return _load_torch(raw, name, map_location, "legacy format")
        raise ValueError(f"minitorch.load: {name} is a Python pickle, not a PyTorch checkpoint "
                         "or a safetensors file; minitorch never unpickles arbitrary objects")
    return _load_safetensors(raw, name, map_location)


__all__ = ["save", "load"]
