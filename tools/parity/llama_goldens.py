"""Goldens for the C# LLaMA decoder (tests/VisualWords.Tests/Language).

Runs karpathy/llama2.c's plain-PyTorch `model.py` (imported from $LLAMA2C_SRC) at a tiny config,
renames its parameters to Hugging Face LlamaForCausalLM names, and writes:
  tiny-hf/       config.json + 2 sharded safetensors + model.safetensors.index.json  (fp32)
  tiny-hf-bin/   config.json + 2 sharded pytorch_model-*.bin + pytorch_model.bin.index.json (bf16)
  goldens.safetensors  prompt ids, full-sequence logits, greedy tokens, logits at another RoPE
                       theta/linear scaling, and llama3-scaled inverse frequencies.
  manifest-llama-7b.json  every HF key and shape of LLaMA-7B (Llama-2-7B / Vicuna-7B), built on
                       the meta device from llama2.c's 7B defaults.

Usage: LLAMA2C_SRC=/work/upstream/llama2.c /usr/bin/python3 tools/parity/llama_goldens.py [out_dir]
"""
import json
import math
import os
import sys

import torch

sys.path.insert(0, os.environ["LLAMA2C_SRC"])
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from model import ModelArgs, Transformer, precompute_freqs_cis  # noqa: E402
from safetensors_writer import save_safetensors  # noqa: E402

OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "../../tests/fixtures/llama")

ARGS = ModelArgs(dim=64, n_layers=2, n_heads=4, n_kv_heads=2, vocab_size=96, hidden_dim=160,
                 multiple_of=32, norm_eps=1e-5, max_seq_len=64, dropout=0.0)
PROMPT = [1, 5, 17, 42, 8, 23, 60, 3, 11, 77, 31]
NEW_TOKENS = 12


def meta_to_hf_rows(w, n_heads):
    """llama2.c (like Meta's release) rotates adjacent pairs; HF rotates halves. Reorder q/k rows
    per head from [pair, 2] to [2, pair] so the HF rotate-half convention gives the same result."""
    out_dim, in_dim = w.shape
    return w.view(n_heads, out_dim // n_heads // 2, 2, in_dim).transpose(1, 2).reshape(out_dim, in_dim)


def to_hf(model, args=None):
    args = args or ARGS
    sd = model.state_dict()
    hf = {"model.embed_tokens.weight": sd["tok_embeddings.weight"]}
    for i in range(args.n_layers):
        p, q = f"layers.{i}.", f"model.layers.{i}."
        hf[q + "self_attn.q_proj.weight"] = meta_to_hf_rows(sd[p + "attention.wq.weight"], args.n_heads)
        hf[q + "self_attn.k_proj.weight"] = meta_to_hf_rows(sd[p + "attention.wk.weight"], args.n_kv_heads or args.n_heads)
        hf[q + "self_attn.v_proj.weight"] = sd[p + "attention.wv.weight"]
        hf[q + "self_attn.o_proj.weight"] = sd[p + "attention.wo.weight"]
        hf[q + "mlp.gate_proj.weight"] = sd[p + "feed_forward.w1.weight"]
        hf[q + "mlp.down_proj.weight"] = sd[p + "feed_forward.w2.weight"]
        hf[q + "mlp.up_proj.weight"] = sd[p + "feed_forward.w3.weight"]
        hf[q + "input_layernorm.weight"] = sd[p + "attention_norm.weight"]
        hf[q + "post_attention_layernorm.weight"] = sd[p + "ffn_norm.weight"]
    hf["model.norm.weight"] = sd["norm.weight"]
    hf["lm_head.weight"] = sd["output.weight"]
    return {k: v.clone() for k, v in hf.items()}


def hf_config(dtype):
    return {
        "architectures": ["LlamaForCausalLM"], "model_type": "llama",
        "hidden_size": ARGS.dim, "intermediate_size": ARGS.hidden_dim,
        "num_hidden_layers": ARGS.n_layers, "num_attention_heads": ARGS.n_heads,
        "num_key_value_heads": ARGS.n_kv_heads, "vocab_size": ARGS.vocab_size,
        "rms_norm_eps": ARGS.norm_eps, "rope_theta": 10000.0, "rope_scaling": None,
        "max_position_embeddings": ARGS.max_seq_len, "hidden_act": "silu",
        "tie_word_embeddings": False, "bos_token_id": 1, "eos_token_id": 2, "pad_token_id": 0,
        "torch_dtype": dtype,
    }


def write_sharded(folder, hf, kind):
    os.makedirs(folder, exist_ok=True)
    names = list(hf.keys())
    halves = [names[: len(names) // 2], names[len(names) // 2:]]
    weight_map = {}
    for i, part in enumerate(halves):
        if kind == "safetensors":
            fname = f"model-{i + 1:05d}-of-00002.safetensors"
            save_safetensors(os.path.join(folder, fname), {k: hf[k] for k in part}, {"format": "pt"})
        else:
            fname = f"pytorch_model-{i + 1:05d}-of-00002.bin"
            torch.save({k: hf[k] for k in part}, os.path.join(folder, fname))
        weight_map.update({k: fname for k in part})
    index = "model.safetensors.index.json" if kind == "safetensors" else "pytorch_model.bin.index.json"
    total = sum(t.numel() * t.element_size() for t in hf.values())
    with open(os.path.join(folder, index), "w") as f:
        json.dump({"metadata": {"total_size": total}, "weight_map": weight_map}, f, indent=1)


def full_logits(model, ids):
    # llama2.c returns only the last position unless targets are given.
    logits = model(ids, targets=ids)
    return logits.detach()


def llama3_inv_freq(head_dim, theta, factor, low, high, old_ctx):
    """Meta's llama3 RoPE frequency scaling (reference for the C# RotaryEmbedding)."""
    freqs = 1.0 / (theta ** (torch.arange(0, head_dim, 2).double() / head_dim))
    out = []
    for f in freqs.tolist():
        wavelen = 2 * math.pi / f
        if wavelen < old_ctx / high:
            out.append(f)
        elif wavelen > old_ctx / low:
            out.append(f / factor)
        else:
            s = (old_ctx / wavelen - low) / (high - low)
            out.append((1 - s) * f / factor + s * f)
    return torch.tensor(out, dtype=torch.float32)


def full_size_manifest(path):
    """Key/shape manifest of LLaMA-7B (Llama-2-7B, Vicuna-7B) in HF names, from llama2.c's
    ModelArgs defaults (Meta's 7B: dim 4096, 32 layers/heads, SwiGLU width from multiple_of 256)
    built on the meta device, so no 7B parameters are allocated."""
    real_linear, real_embedding = torch.nn.Linear.__init__, torch.nn.Embedding.__init__

    def meta_linear(self, *a, **k):
        real_linear(self, *a, **dict(k, device="meta"))

    def meta_embedding(self, *a, **k):
        real_embedding(self, *a, **dict(k, device="meta"))

    torch.nn.Linear.__init__, torch.nn.Embedding.__init__ = meta_linear, meta_embedding
    try:
        global ARGS
        saved, ARGS = ARGS, ModelArgs()
        big = Transformer(ARGS)
        # Llama-2 does not tie lm_head to the embedding: give it its own (meta) parameter.
        big.output.weight = torch.nn.Parameter(torch.empty(ARGS.vocab_size, ARGS.dim, device="meta"))
        hf = to_hf(big)
        ARGS = saved
    finally:
        torch.nn.Linear.__init__, torch.nn.Embedding.__init__ = real_linear, real_embedding
    shapes = {k: list(v.shape) for k, v in hf.items()}
    total = sum(v.numel() for v in hf.values())
    with open(path, "w") as f:
        json.dump({"models": ["llama-2-7b", "vicuna-7b"], "parameter_count": total,
                   "source": "karpathy/llama2.c model.py ModelArgs() defaults, renamed to HF LlamaForCausalLM keys",
                   "tensors": shapes}, f, indent=0)
    print("manifest", len(shapes), "tensors", total, "parameters")


def main():
    full_size_manifest(os.path.join(OUT, "manifest-llama-7b.json"))
    torch.manual_seed(1234)
    model = Transformer(ARGS)
    # Untie lm_head from the embedding (Llama-2 does not tie) and widen the weights so the logits
    # have clear argmax margins: greedy decoding must not hinge on 1e-7 differences.
    model.output.weight = torch.nn.Parameter(torch.randn(ARGS.vocab_size, ARGS.dim) * 0.3)
    with torch.no_grad():
        for n, p in model.named_parameters():
            if n.endswith("norm.weight"):
                p.copy_(1.0 + 0.2 * torch.randn_like(p))
            elif n != "output.weight":
                p.mul_(5.0)
    model.eval()

    ids = torch.tensor([PROMPT])
    with torch.no_grad():
        logits = full_logits(model, ids)
        gen = model.generate(ids, NEW_TOKENS, temperature=0.0)[0, len(PROMPT):]
        # margins of the greedy steps, to know the goldens are robust
        seq = torch.cat([ids[0], gen]).unsqueeze(0)
        lg = full_logits(model, seq)[0, len(PROMPT) - 1:-1]
        top2 = lg.topk(2, dim=-1).values
        print("min greedy margin", (top2[:, 0] - top2[:, 1]).min().item())

        # Same weights, RoPE theta 500000 with linear position scaling 2.0 (positions / 2).
        head_dim = ARGS.dim // ARGS.n_heads
        inv = 1.0 / (500000.0 ** (torch.arange(0, head_dim, 2).float() / head_dim))
        t = torch.arange(ARGS.max_seq_len).float() / 2.0
        fr = torch.outer(t, inv)
        saved = (model.freqs_cos, model.freqs_sin)
        model.freqs_cos, model.freqs_sin = torch.cos(fr), torch.sin(fr)
        logits_rope = full_logits(model, ids)
        model.freqs_cos, model.freqs_sin = saved
        # sanity: llama2.c's own precompute at default theta equals the buffers we restored
        c, s = precompute_freqs_cis(head_dim, ARGS.max_seq_len)
        assert torch.allclose(c, model.freqs_cos)

    hf = to_hf(model)
    os.makedirs(OUT, exist_ok=True)
    write_sharded(os.path.join(OUT, "tiny-hf"), hf, "safetensors")
    with open(os.path.join(OUT, "tiny-hf", "config.json"), "w") as f:
        json.dump(hf_config("float32"), f, indent=1)
    write_sharded(os.path.join(OUT, "tiny-hf-bin"), {k: v.to(torch.bfloat16) for k, v in hf.items()}, "bin")
    with open(os.path.join(OUT, "tiny-hf-bin", "config.json"), "w") as f:
        json.dump(hf_config("bfloat16"), f, indent=1)

    save_safetensors(os.path.join(OUT, "goldens.safetensors"), {
        "prompt_ids": ids[0].clone(),
        "logits": logits[0].float(),
        "greedy_ids": gen.clone(),
        "logits_theta500k_linear2": logits_rope[0].float(),
        "llama3_inv_freq": llama3_inv_freq(128, 500000.0, 8.0, 1.0, 4.0, 8192),
    }, {"source": "karpathy/llama2.c model.py", "new_tokens": str(NEW_TOKENS)})
    print("greedy", gen.tolist())


if __name__ == "__main__":
    main()
