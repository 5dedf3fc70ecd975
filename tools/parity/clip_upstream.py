"""openai/CLIP's VisionTransformer from $CLIP_SRC, and its renaming to HF CLIPVisionModel keys.

Only clip/model.py is loaded (the package __init__ pulls torchvision, PIL and tqdm). Shared by
vision_goldens.py and lisa_tiny_folder.py.
"""
import importlib.util
import os
import sys


def need_env(name):
    path = os.environ.get(name)
    if not path or not os.path.isdir(path):
        sys.exit(f"set {name} to a checkout of the upstream repository (see tools/parity/README.md)")
    return path


CLIP_SRC = need_env("CLIP_SRC")
_spec = importlib.util.spec_from_file_location("clip_model", os.path.join(CLIP_SRC, "clip", "model.py"))
_clip_model = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_clip_model)
ClipVisionTransformer = _clip_model.VisionTransformer


def clip_to_hf(sd, layers):
    """openai/CLIP visual.* names -> HF CLIPVisionModel names (q/k/v split from in_proj)."""
    hf, p = {}, "vision_model."
    hf[p + "embeddings.class_embedding"] = sd["class_embedding"]
    hf[p + "embeddings.patch_embedding.weight"] = sd["conv1.weight"]
    hf[p + "embeddings.position_embedding.weight"] = sd["positional_embedding"]
    for ln_up, ln_hf in (("ln_pre", "pre_layrnorm"), ("ln_post", "post_layernorm")):
        for s in ("weight", "bias"):
            hf[f"{p}{ln_hf}.{s}"] = sd[f"{ln_up}.{s}"]
    for i in range(layers):
        up, to = f"transformer.resblocks.{i}.", f"{p}encoder.layers.{i}."
        for s in ("weight", "bias"):
            q, k, v = sd[up + f"attn.in_proj_{s}"].chunk(3, dim=0)
            hf[to + f"self_attn.q_proj.{s}"] = q
            hf[to + f"self_attn.k_proj.{s}"] = k
            hf[to + f"self_attn.v_proj.{s}"] = v
            hf[to + f"self_attn.out_proj.{s}"] = sd[up + f"attn.out_proj.{s}"]
            hf[to + f"layer_norm1.{s}"] = sd[up + f"ln_1.{s}"]
            hf[to + f"layer_norm2.{s}"] = sd[up + f"ln_2.{s}"]
            hf[to + f"mlp.fc1.{s}"] = sd[up + f"mlp.c_fc.{s}"]
            hf[to + f"mlp.fc2.{s}"] = sd[up + f"mlp.c_proj.{s}"]
    # `proj` is CLIPModel's visual_projection, not part of CLIPVisionModel.
    return hf
