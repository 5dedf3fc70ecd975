"""Reference timing for one LLaMA-7B decoder layer in plain PyTorch (karpathy/llama2.c's
TransformerBlock, imported from $LLAMA2C_SRC), prefill at the given sequence lengths.
Prints one JSON object per (dtype, length): {"impl": "pytorch", "dtype", "tokens", "ms_min", "ms_median"}.

Called by `dotnet run -c Release --project bench/VisualWords.Bench -- llm-layer` in the same run
as our layer; usable alone:
  LLAMA2C_SRC=/work/upstream/llama2.c /usr/bin/python3 bench/python/llama_layer_ref.py --lengths 64,128 --reps 3
"""
import argparse
import json
import os
import statistics
import sys
import time

import torch

sys.path.insert(0, os.environ["LLAMA2C_SRC"])
from model import ModelArgs, TransformerBlock, precompute_freqs_cis  # noqa: E402


class Layers:
    """One randomly initialised 7B block per dtype, built on first use."""

    def __init__(self, max_len):
        self.args = ModelArgs(max_seq_len=max_len)  # 7B: dim 4096, 32 heads, SwiGLU 11008
        head_dim = self.args.dim // self.args.n_heads
        self.cos, self.sin = precompute_freqs_cis(head_dim, max_len)
        self.blocks = {}

    def time(self, dname, t, reps):
        if dname not in self.blocks:
            self.blocks.clear()  # one 7B layer at a time keeps memory small
            torch.manual_seed(0)
            block = TransformerBlock(0, self.args).to(getattr(torch, dname)).eval()
            for p in block.parameters():
                torch.nn.init.normal_(p, 0.0, 0.02)
            self.blocks[dname] = block
        block = self.blocks[dname]
        x = torch.randn(1, t, self.args.dim).to(getattr(torch, dname))
        cos, sin = self.cos[:t], self.sin[:t]
        times = []
        with torch.inference_mode():
            block(x, cos, sin)  # warm-up
            for _ in range(reps):
                t0 = time.perf_counter()
                block(x, cos, sin)
                times.append((time.perf_counter() - t0) * 1000)
        return {"impl": "pytorch", "dtype": dname, "tokens": t, "ms_min": min(times),
                "ms_median": statistics.median(times), "threads": torch.get_num_threads()}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--lengths", default="64,128,256,512,640,1024")
    ap.add_argument("--dtypes", default="float32,bfloat16")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--threads", type=int, default=0, help="torch threads (0: leave torch's default)")
    ap.add_argument("--serve", action="store_true", help="read 'dtype tokens reps' lines from stdin")
    a = ap.parse_args()
    if a.threads > 0:
        torch.set_num_threads(a.threads)
    lengths = [int(x) for x in a.lengths.split(",")]
    layers = Layers(max(lengths))
    if a.serve:
        # "dtype tokens reps" per line on stdin, one JSON line back: lets the caller alternate
        # our layer and this one so both see the same machine load.
        for line in sys.stdin:
            dname, t, reps = line.split()
            print(json.dumps(layers.time(dname, int(t), int(reps))), flush=True)
        return
    for dname in a.dtypes.split(","):
        for t in lengths:
            print(json.dumps(layers.time(dname, t, a.reps)), flush=True)

if __name__ == "__main__":
    main()
