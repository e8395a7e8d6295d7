"""``save``/``load`` in the safetensors format — no pickle.

File layout: 8-byte little-endian header length N, N bytes of JSON header, raw tensor bytes. The
header maps each tensor name to {"dtype", "shape", "data_offsets": [begin, end]} (offsets into the
byte buffer after the header) and may hold a "__metadata__" string->string map.

Nested containers are flattened: tensor keys are the '.'-joined path of keys
(``{"model": {"fc.weight": t}}`` -> ``"model.fc.weight"``); the structure itself, with every
non-tensor value (ints, floats, strings, lists, None ...), is stored as JSON in
``__metadata__["minitorch.structure"]`` so ``load`` rebuilds the object exactly. Files without that
entry (written by other safetensors writers) load as a flat ``{name: Tensor}`` dict.

Writes are atomic: a temporary file in the destination folder, flushed and fsynced, then
``os.replace``d over the destination.
"""
import json
import math
import os
import struct
import tempfile
from collections import OrderedDict

import torch

from .tensor import Tensor

_STRUCTURE_KEY = "minitorch.structure"
_FORMAT_KEY = "format"

_DTYPES = {
    torch.float64: "F64", torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16",
    torch.int64: "I64", torch.int32: "I32", torch.int16: "I16", torch.int8: "I8",
    torch.uint8: "U8", torch.bool: "BOOL",
}
_FROM_NAME = {v: k for k, v in _DTYPES.items()}
_ITEMSIZE = {"F64": 8, "F32": 4, "F16": 2, "BF16": 2, "I64": 8, "I32": 4, "I16": 2, "I8": 1,
             "U8": 1, "BOOL": 1}
_MAX_HEADER = 100 * 1024 * 1024


class _Flattener:
    def __init__(self):
        self.tensors = OrderedDict()

    def _name(self, path):
        base = ".".join(path) if path else "tensor"
        name, i = base, 1
        while name in self.tensors or name == "__metadata__":
            name = f"{base}#{i}"
            i += 1
        return name

    def encode(self, obj, path):
        if isinstance(obj, (Tensor, torch.Tensor)):
            name = self._name(path)
            self.tensors[name] = obj
            return {"__tensor__": name}
        if isinstance(obj, dict):
            items = []
            for k, v in obj.items():
                if not isinstance(k, (str, int, float, bool)) and k is not None:
                    raise TypeError(f"minitorch.save: dict keys must be str/int/float/bool, got "
                                    f"{type(k).__name__}")
                items.append([k, self.encode(v, path + [str(k)])])
            return {"__dict__": items, "ordered": isinstance(obj, OrderedDict)}
        if isinstance(obj, tuple):
            return {"__tuple__": [self.encode(v, path + [str(i)]) for i, v in enumerate(obj)]}
        if isinstance(obj, list):
            return [self.encode(v, path + [str(i)]) for i, v in enumerate(obj)]
        if isinstance(obj, float) and not math.isfinite(obj):
            return {"__float__": repr(obj)}
        if obj is None or isinstance(obj, (bool, int, float, str)):
            return obj
        if isinstance(obj, torch.dtype):
            return {"__dtype__": str(obj)}
        raise TypeError(f"minitorch.save cannot store objects of type {type(obj).__name__} "
                        "(tensors, dicts, lists, tuples, numbers, strings and None only)")


def _decode(node, tensors):
    if isinstance(node, list):
        return [_decode(v, tensors) for v in node]
    if isinstance(node, dict):
        if "__tensor__" in node:
            name = node["__tensor__"]
            if name not in tensors:
                raise ValueError(f"corrupt file: structure names missing tensor {name!r}")
            return tensors[name]
        if "__dict__" in node:
            cls = OrderedDict if node.get("ordered") else dict
            return cls((k, _decode(v, tensors)) for k, v in node["__dict__"])
        if "__tuple__" in node:
            return tuple(_decode(v, tensors) for v in node["__tuple__"])
        if "__float__" in node:
            return float(node["__float__"])
        if "__dtype__" in node:
            return getattr(torch, node["__dtype__"].replace("torch.", ""))
        raise ValueError("corrupt file: unknown structure node")
    return node


def _tensor_bytes(t):
    if isinstance(t, Tensor):
        t = t.detach()
        if not t.is_contiguous():
            t = t.contiguous()  # a copy kernel
        storage = t._data
    else:
        storage = t.detach()
        if not storage.is_contiguous():
            storage = Tensor._make(storage).contiguous()._data
    if storage.dtype not in _DTYPES:
        raise TypeError(f"minitorch.save: unsupported dtype {storage.dtype}")
    storage = storage.cpu()
    if storage.dtype == torch.bfloat16:
        storage = storage.view(torch.int16)
    return storage.numpy().tobytes()


def save(obj, f):
    """Write ``obj`` (a tensor or a possibly nested dict/list of tensors and plain values) to
    path ``f`` in the safetensors format, atomically."""
    flat = _Flattener()
    structure = flat.encode(obj, [])
    header = OrderedDict()
    chunks = []
    offset = 0
    for name, t in flat.tensors.items():
        data = _tensor_bytes(t)
        header[name] = {"dtype": _DTYPES[t.dtype], "shape": list(t.shape),
                        "data_offsets": [offset, offset + len(data)]}
        chunks.append(data)
        offset += len(data)
    header["__metadata__"] = {_FORMAT_KEY: "pt",
                              _STRUCTURE_KEY: json.dumps(structure, separators=(",", ":"))}
    hbytes = json.dumps(header, separators=(",", ":")).encode("utf-8")
    hbytes += b" " * (-len(hbytes) % 8)  # align the data section to 8 bytes
    path = os.fspath(f)
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".tmp-" + os.path.basename(path) + "-", dir=folder)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(struct.pack("<Q", len(hbytes)))
            fh.write(hbytes)
            for c in chunks:
                fh.write(c)
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


def _bad(path, why):
    return ValueError(f"minitorch.load: {path!s} is not a valid safetensors file ({why})")


def load(f, map_location=None, weights_only=True):
    """Read a file written by ``save`` (or any safetensors file)."""
    path = os.fspath(f)
    with open(path, "rb") as fh:
        raw = fh.read()
    if len(raw) < 8:
        raise _bad(path, "truncated: shorter than the 8-byte header length")
    (n,) = struct.unpack("<Q", raw[:8])
    if n > _MAX_HEADER or 8 + n > len(raw):
        raise _bad(path, f"header length {n} does not fit in a file of {len(raw)} bytes")
    try:
        header = json.loads(raw[8:8 + n].decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise _bad(path, f"header is not valid JSON: {e}") from None
    if not isinstance(header, dict):
        raise _bad(path, "header is not a JSON object")
    meta = header.pop("__metadata__", None) or {}
    if not isinstance(meta, dict):
        raise _bad(path, "__metadata__ is not an object")
    data = memoryview(raw)[8 + n:]
    spans = []
    tensors = {}
    device = torch.device(map_location) if isinstance(map_location, (str, torch.device)) \
        else None
    for name, info in header.items():
        try:
            dtype_name, shape, (begin, end) = info["dtype"], info["shape"], info["data_offsets"]
        except (KeyError, TypeError, ValueError):
            raise _bad(path, f"malformed entry for {name!r}") from None
        if dtype_name not in _FROM_NAME:
            raise _bad(path, f"unsupported dtype {dtype_name!r} for {name!r}")
        if not (isinstance(shape, list) and all(isinstance(s, int) and s >= 0 for s in shape)):
            raise _bad(path, f"bad shape for {name!r}")
        if not (isinstance(begin, int) and isinstance(end, int) and 0 <= begin <= end
                <= len(data)):
            raise _bad(path, f"data offsets of {name!r} fall outside the file (truncated?)")
        if end - begin != math.prod(shape) * _ITEMSIZE[dtype_name]:
            raise _bad(path, f"size of {name!r} does not match its shape and dtype")
        spans.append((begin, end))
        dtype = _FROM_NAME[dtype_name]
        buf = bytearray(data[begin:end])
        if dtype == torch.bfloat16:
            st = torch.frombuffer(buf, dtype=torch.int16).view(torch.bfloat16) if buf else \
                torch.empty(0, dtype=dtype)
        else:
            st = torch.frombuffer(buf, dtype=dtype) if buf else torch.empty(0, dtype=dtype)
        st = st.reshape(shape)
        if device is not None and device != st.device:
            st = st.to(device)
        tensors[name] = Tensor._make(st)
    spans.sort()
    pos = 0
    for b, e in spans:
        if b != pos:
            raise _bad(path, "tensor data regions overlap or leave gaps")
        pos = e
    if pos != len(data):
        raise _bad(path, f"{len(data) - pos} trailing bytes after the tensor data")
    if _STRUCTURE_KEY not in meta:
        return tensors
    try:
        structure = json.loads(meta[_STRUCTURE_KEY])
    except (TypeError, json.JSONDecodeError):
        raise _bad(path, "structure metadata is not valid JSON") from None
    try:
        return _decode(structure, tensors)
    except ValueError as e:
        raise _bad(path, str(e)) from None


__all__ = ["save", "load"]
