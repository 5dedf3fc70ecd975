"""Goldens for the CLIP and DINOv2 vision towers (tests/VisualWords.Tests/Vision).

Runs the official model code at tiny sizes with random weights, renames the weights to the
Hugging Face names our C# modules use, and writes weights + inputs + outputs as safetensors.
It also writes full-size key/shape manifests (JSON) for clip-vit-large-patch14-336 and
dinov2-large, taken from the official modules built at full size.

    CLIP_SRC=/work/upstream/CLIP DINOV2_SRC=/work/upstream/dinov2 \
        /usr/bin/python3 tools/parity/vision_goldens.py tests/fixtures/vision

Needs only torch (1.13 is enough) and numpy; the upstream repositories are imported from the
paths in CLIP_SRC and DINOV2_SRC, never copied.
"""
import json
import math
import os
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from safetensors_writer import save_safetensors  # noqa: E402

from vision_upstream import ClipVisionTransformer, clip_to_hf, DinoVisionTransformer, MemEffAttention, NestedTensorBlock, vit_large  # noqa: E402
from functools import partial  # noqa: E402

OUT = sys.argv[1] if len(sys.argv) > 1 else "tests/fixtures/vision"


def randomize_(module, gen):
    """Random values everywhere, LayerNorm and layer-scale included, so every weight is exercised."""
    with torch.no_grad():
        for name, p in module.named_parameters():
            # 1-D weights are the LayerNorm scales; gamma is dinov2's layer scale
            if name.endswith("gamma") or (p.dim() == 1 and name.endswith("weight")):
                p.copy_(1.0 + 0.2 * torch.randn(p.shape, generator=gen))
            else:
                p.copy_(0.2 * torch.randn(p.shape, generator=gen))


# ---------------------------------------------------------------- CLIP (openai/CLIP model.py)

def clip_hidden_states(vit, x):
    """Upstream modules step by step: hidden_states[0] = embeddings after ln_pre, [i] = block i-1 output."""
    x = vit.conv1(x)
    x = x.reshape(x.shape[0], x.shape[1], -1).permute(0, 2, 1)
    cls = vit.class_embedding + torch.zeros(x.shape[0], 1, x.shape[-1])
    x = torch.cat([cls, x], dim=1) + vit.positional_embedding
    x = vit.ln_pre(x)
    states = [x]
    x = x.permute(1, 0, 2)
    for blk in vit.transformer.resblocks:
        x = blk(x)
        states.append(x.permute(1, 0, 2))
    return states


def clip_interpolated_pos(pe, gh, gw):
    """Bicubic resize of the patch position grid (HF interpolate_pos_encoding; openai/CLIP has none)."""
    cls, grid = pe[:1], pe[1:]
    m = int(math.sqrt(grid.shape[0]))
    grid = grid.reshape(1, m, m, -1).permute(0, 3, 1, 2)
    grid = F.interpolate(grid, size=(gh, gw), mode="bicubic", align_corners=False)
    return torch.cat([cls, grid.permute(0, 2, 3, 1).reshape(gh * gw, -1)], dim=0)


def clip_goldens(gen):
    cfg = dict(input_resolution=32, patch_size=8, width=32, layers=3, heads=4, output_dim=16)
    vit = ClipVisionTransformer(**cfg).eval()
    randomize_(vit, gen)
    hf = clip_to_hf(vit.state_dict(), cfg["layers"])
    save_safetensors(f"{OUT}/clip_tiny.safetensors", hf, {"source": "openai/CLIP clip/model.py VisionTransformer", "config": json.dumps(cfg)})
    x = torch.randn(2, 3, 32, 32, generator=gen)
    x_big = torch.randn(1, 3, 40, 48, generator=gen)  # 5x6 grid: interpolated positions, non-square
    with torch.no_grad():
        hs = clip_hidden_states(vit, x)
        pooled = vit.ln_post(hs[-1][:, 0, :])
        with torch.no_grad():
            vit.positional_embedding.data = clip_interpolated_pos(vit.positional_embedding.data, 5, 6)
        hs_big = clip_hidden_states(vit, x_big)
    io = {
        "pixels": x,
        "pixels_40x48": x_big,
        "layer_minus2_patches": hs[-2][:, 1:],  # LLaVA's select_layer=-2, CLS dropped
        "last_hidden_state": hs[-1],
        "pooled": pooled,
        "layer_minus2_patches_40x48": hs_big[-2][:, 1:],
    }
    save_safetensors(f"{OUT}/clip_tiny_io.safetensors", io)


# ---------------------------------------------------------------- DINOv2 (facebookresearch/dinov2)

def dinov2_to_hf(sd, depth):
    hf = {
        "embeddings.cls_token": sd["cls_token"],
        "embeddings.mask_token": sd["mask_token"],
        "embeddings.position_embeddings": sd["pos_embed"],
        "embeddings.patch_embeddings.projection.weight": sd["patch_embed.proj.weight"],
        "embeddings.patch_embeddings.projection.bias": sd["patch_embed.proj.bias"],
    }
    if "register_tokens" in sd:
        hf["embeddings.register_tokens"] = sd["register_tokens"]
    for i in range(depth):
        up, to = f"blocks.{i}.", f"encoder.layer.{i}."
        for s in ("weight", "bias"):
            q, k, v = sd[up + f"attn.qkv.{s}"].chunk(3, dim=0)
            hf[to + f"attention.attention.query.{s}"] = q
            hf[to + f"attention.attention.key.{s}"] = k
            hf[to + f"attention.attention.value.{s}"] = v
            hf[to + f"attention.output.dense.{s}"] = sd[up + f"attn.proj.{s}"]
            hf[to + f"norm1.{s}"] = sd[up + f"norm1.{s}"]
            hf[to + f"norm2.{s}"] = sd[up + f"norm2.{s}"]
            hf[to + f"mlp.fc1.{s}"] = sd[up + f"mlp.fc1.{s}"]
            hf[to + f"mlp.fc2.{s}"] = sd[up + f"mlp.fc2.{s}"]
        hf[to + "layer_scale1.lambda1"] = sd[up + "ls1.gamma"]
        hf[to + "layer_scale2.lambda1"] = sd[up + "ls2.gamma"]
    hf["layernorm.weight"] = sd["norm.weight"]
    hf["layernorm.bias"] = sd["norm.bias"]
    return hf


def dinov2_goldens(gen, registers):
    cfg = dict(img_size=32, patch_size=8, embed_dim=32, depth=3, num_heads=4, mlp_ratio=4, qkv_bias=True,
               init_values=1.0, block_chunks=0, num_register_tokens=registers,
               interpolate_antialias=False, interpolate_offset=0.1)
    vit = DinoVisionTransformer(block_fn=partial(NestedTensorBlock, attn_class=MemEffAttention), **cfg).eval()
    randomize_(vit, gen)
    tag = f"dinov2_tiny_reg{registers}"
    save_safetensors(f"{OUT}/{tag}.safetensors", dinov2_to_hf(vit.state_dict(), cfg["depth"]),
                     {"source": "facebookresearch/dinov2 DinoVisionTransformer", "config": json.dumps(cfg)})
    x = torch.randn(2, 3, 32, 32, generator=gen)
    x_big = torch.randn(1, 3, 40, 48, generator=gen)
    with torch.no_grad():
        io = {
            "pixels": x,
            "pixels_40x48": x_big,
            "last_norm_patches": vit.forward_features(x)["x_norm_patchtokens"],
            "last_norm_cls": vit.forward_features(x)["x_norm_clstoken"],
            # output of block index 1 (HF hidden_states[2]) without the final norm
            "layer2_patches": vit.get_intermediate_layers(x, n=[1], norm=False)[0],
            "last_norm_patches_40x48": vit.forward_features(x_big)["x_norm_patchtokens"],
        }
    save_safetensors(f"{OUT}/{tag}_io.safetensors", io)


# ---------------------------------------------------------------- full-size manifests

def manifest(path, name, source, sd):
    keys = {k: list(v.shape) for k, v in sd.items()}
    doc = {"model": name, "source": source, "parameter_count": sum(math.prod(s) for s in keys.values()), "keys": keys}
    tmp = path + ".tmp"
    body = ",\n".join(f"  {json.dumps(k)}: {json.dumps(v)}" for k, v in keys.items())
    head = json.dumps({k: v for k, v in doc.items() if k != "keys"})[:-1]
    with open(tmp, "w") as f:
        f.write(head + ', "keys": {\n' + body + "\n}}\n")
    os.replace(tmp, path)


def no_init(*args, **kwargs):
    return args[0] if args else None


def manifests():
    # Shapes do not depend on values: skip the expensive random init of ~300M parameters.
    import torch.nn.init as init
    saved = {n: getattr(init, n) for n in ("trunc_normal_", "normal_", "kaiming_uniform_", "uniform_", "xavier_uniform_", "constant_", "zeros_")}
    for n in saved:
        setattr(init, n, no_init)
    import dinov2.models.vision_transformer as dvt
    saved_tn = dvt.trunc_normal_
    dvt.trunc_normal_ = no_init
    try:
        clip = ClipVisionTransformer(input_resolution=336, patch_size=14, width=1024, layers=24, heads=16, output_dim=768)
        manifest(f"{OUT}/clip-vit-large-patch14-336.manifest.json", "clip-vit-large-patch14-336",
                 "openai/CLIP VisionTransformer(336, 14, 1024, 24, 16) renamed to HF CLIPVisionModel",
                 clip_to_hf(clip.state_dict(), 24))
        del clip
        dino = vit_large(patch_size=14, img_size=518, init_values=1.0, block_chunks=0)
        manifest(f"{OUT}/dinov2-large.manifest.json", "dinov2-large",
                 "facebookresearch/dinov2 vit_large(patch 14, img 518, layer scale) renamed to HF Dinov2Model",
                 dinov2_to_hf(dino.state_dict(), 24))
    finally:
        for n, f in saved.items():
            setattr(init, n, f)
        dvt.trunc_normal_ = saved_tn


if __name__ == "__main__":
    os.makedirs(OUT, exist_ok=True)
    torch.manual_seed(0)
    gen = torch.Generator().manual_seed(1234)
    clip_goldens(gen)
    dinov2_goldens(gen, registers=0)
    dinov2_goldens(gen, registers=2)
    if "--no-manifests" not in sys.argv:
        manifests()
    print("wrote", sorted(os.listdir(OUT)))
