"""Minimal safetensors writer for the parity scripts (the package is not on Debian's python)."""
import json
import os
import struct

import torch

_DTYPES = {torch.float32: "F32", torch.int64: "I64", torch.bfloat16: "BF16", torch.float16: "F16", torch.uint8: "U8"}


def save_safetensors(path, tensors, metadata=None):
    """Writes name -> tensor (F32/I64/BF16/F16/U8) atomically (temp file + rename)."""
    header, blobs, offset = {}, [], 0
    for name, t in tensors.items():
        t = t.detach().contiguous().cpu()
        # numpy has no bfloat16: write its 16-bit patterns as they are
        raw = (t.view(torch.int16) if t.dtype == torch.bfloat16 else t).numpy().tobytes()
        header[name] = {"dtype": _DTYPES[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    if metadata:
        header["__metadata__"] = metadata
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)
    os.replace(tmp, path)


_FROM_CODE = {"F32": torch.float32, "I64": torch.int64, "F16": torch.float16, "U8": torch.uint8}


def load_safetensors(path):
    """Reads a safetensors file of F32/I64/F16/U8 tensors into name -> tensor (no metadata)."""
    import numpy as np
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        begin, end = info["data_offsets"]
        np_dtype = {"F32": np.float32, "I64": np.int64, "F16": np.float16, "U8": np.uint8}[info["dtype"]]
        out[name] = torch.from_numpy(np.frombuffer(data[begin:end], dtype=np_dtype).copy()).reshape(info["shape"])
    return out
