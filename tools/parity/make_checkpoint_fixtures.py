"""Writes small PyTorch checkpoints for the C# checkpoint-loader tests.

Run with Debian's PyTorch:  /usr/bin/python3 tools/parity/make_checkpoint_fixtures.py
Outputs (tests/fixtures/checkpoints/):
  tiny_state_dict.pth   OrderedDict with fp32/fp16/bf16/int64/bool tensors, a transposed
                        (non-contiguous) view and two views sharing one storage
  tiny_nested.pth       {"model": <same state dict>, "epoch": 3, "note": "wrapped"}
  tiny_expected.json    every tensor's dtype, shape and values (as float64) for exact comparison
"""
import collections
import json
import os

import torch

out = os.path.join(os.path.dirname(__file__), "..", "..", "tests", "fixtures", "checkpoints")
os.makedirs(out, exist_ok=True)

g = torch.Generator().manual_seed(1234)
base = torch.randn(4, 6, generator=g)
shared = torch.randn(10, generator=g)
sd = collections.OrderedDict()
sd["encoder.weight"] = torch.randn(3, 5, generator=g)
sd["encoder.bias"] = torch.randn(3, generator=g)
sd["half.weight"] = torch.randn(2, 3, generator=g).half()
sd["bf16.weight"] = torch.randn(2, 3, generator=g).bfloat16()
sd["steps"] = torch.arange(5, dtype=torch.int64) * 7 - 3
sd["flags"] = torch.tensor([True, False, True])
sd["transposed"] = base.t()                 # stride (1, 6): rebuilt through as_strided
sd["shared.a"] = shared[2:6]                 # both views point into one storage
sd["shared.b"] = shared[5:].view(1, 5)
sd["scalar"] = torch.tensor(2.5)

torch.save(sd, os.path.join(out, "tiny_state_dict.pth"))
torch.save({"model": sd, "epoch": 3, "note": "wrapped"}, os.path.join(out, "tiny_nested.pth"))

expected = {
    k: {"dtype": str(v.dtype).replace("torch.", ""), "shape": list(v.shape),
        "values": v.double().flatten().tolist() if v.dtype != torch.bool else v.flatten().tolist()}
    for k, v in sd.items()
}
with open(os.path.join(out, "tiny_expected.json"), "w") as f:
    json.dump(expected, f, indent=1)
print("wrote", sorted(os.listdir(out)))
