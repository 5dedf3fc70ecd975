"""Imports the official CLIP and DINOv2 model code from CLIP_SRC / DINOV2_SRC on Debian's torch 1.13.

- openai/CLIP: see clip_upstream.py.
- facebookresearch/dinov2: xFormers is disabled and F.scaled_dot_product_attention (torch >= 2.0),
  which its plain attention path calls, is supplied when missing.
"""
import os
import sys

import torch.nn.functional as F

from clip_upstream import ClipVisionTransformer, clip_to_hf, need_env  # noqa: F401

sys.path.insert(0, need_env("DINOV2_SRC"))
os.environ["XFORMERS_DISABLED"] = "1"

if not hasattr(F, "scaled_dot_product_attention"):
    def _sdpa(q, k, v, attn_mask=None, dropout_p=0.0, is_causal=False):
        assert attn_mask is None and not is_causal and dropout_p == 0.0
        w = (q @ k.transpose(-2, -1)) * (q.shape[-1] ** -0.5)
        return w.softmax(-1) @ v
    F.scaled_dot_product_attention = _sdpa

from dinov2.models.vision_transformer import DinoVisionTransformer, vit_large  # noqa: E402,F401
from dinov2.layers import MemEffAttention, NestedTensorBlock  # noqa: E402,F401
