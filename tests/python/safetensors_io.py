"""Minimal safetensors reader and writer for the test scripts.

Debian ships no `safetensors` Python package, so the parity scripts use this
small implementation of the format: an 8-byte little-endian header length, a
JSON header mapping names to {dtype, shape, data_offsets} (plus an optional
"__metadata__" of string to string), then the raw little-endian data.
Only float32 (F32) and int64 (I64) tensors are handled.
"""

import json
import struct

import numpy as np

_DTYPES = {"F32": np.float32, "I64": np.int64, "F64": np.float64}
_NAMES = {np.dtype(np.float32): "F32", np.dtype(np.int64): "I64", np.dtype(np.float64): "F64"}


def save(path, tensors, metadata=None):
    """Writes {name: numpy array or torch tensor} (in the given order) to path."""
    header = {}
    blobs = []
    offset = 0
    for name, value in tensors.items():
        if hasattr(value, "detach"):
            value = value.detach().cpu().numpy()
        array = np.ascontiguousarray(value)
        if array.dtype not in _NAMES:
            array = array.astype(np.float32)
        data = array.astype(array.dtype.newbyteorder("<"), copy=False).tobytes()
        header[name] = {
            "dtype": _NAMES[array.dtype],
            "shape": list(array.shape),
            "data_offsets": [offset, offset + len(data)],
        }
        blobs.append(data)
        offset += len(data)
    if metadata:
        header["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * ((8 - len(text) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for blob in blobs:
            f.write(blob)


def load(path):
    """Returns ({name: numpy array}, metadata dict)."""
    with open(path, "rb") as f:
        raw = f.read()
    (length,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8 : 8 + length].decode("utf-8"))
    metadata = header.pop("__metadata__", {}) or {}
    base = 8 + length
    tensors = {}
    for name, info in header.items():
        begin, end = info["data_offsets"]
        dtype = np.dtype(_DTYPES[info["dtype"]]).newbyteorder("<")
        tensors[name] = np.frombuffer(raw[base + begin : base + end], dtype=dtype).reshape(info["shape"]).copy()
    return tensors, metadata
