"""Imports the official segment-anything and MobileSAM packages for the SAM parity scripts.

The upstream trees come from $SAM_SRC (facebookresearch/segment-anything checkout) and
$MOBILESAM_SRC (ChaoningZhang/MobileSAM checkout); nothing of them is copied here. Debian's
python3-torch has neither torchvision nor timm, so this module registers stand-ins for the few
names upstream imports: torchvision's PIL resize (the exact call SAM's ResizeLongestSide makes),
and timm's DropPath / to_2tuple / trunc_normal_ / register_model (identity at inference).
Re-exports the shared safetensors writer for the SAM scripts.
"""
import os
import sys
import types

import numpy as np
import torch
from PIL import Image

from safetensors_writer import save_safetensors  # noqa: F401  (re-exported for the SAM scripts)


def _module(name, **attrs):
    m = types.ModuleType(name)
    m.__dict__.update(attrs)
    sys.modules[name] = m
    return m


def _tv_resize(img, size):
    # torchvision.transforms.functional.resize on a PIL image with an (h, w) size:
    # img.resize((w, h), BILINEAR) — PIL always antialiases when downscaling.
    h, w = size
    return img.resize((w, h), Image.BILINEAR)


def _tv_to_pil_image(arr):
    return Image.fromarray(np.asarray(arr))


def _not_available(*_a, **_k):
    raise NotImplementedError("torchvision.ops is not available in the parity environment")


def install_shims():
    if "torchvision" not in sys.modules:
        tv = _module("torchvision")
        tv.transforms = _module("torchvision.transforms")
        tv.transforms.functional = _module("torchvision.transforms.functional",
                                           resize=_tv_resize, to_pil_image=_tv_to_pil_image)
        tv.ops = _module("torchvision.ops")
        tv.ops.boxes = _module("torchvision.ops.boxes", batched_nms=_not_available, box_area=_not_available)
    if "timm" not in sys.modules:
        class DropPath(torch.nn.Module):
            def __init__(self, drop_prob=None):
                super().__init__()
                self.drop_prob = drop_prob

            def forward(self, x):
                return x

        timm = _module("timm")
        timm.models = _module("timm.models")
        timm.models.layers = _module("timm.models.layers", DropPath=DropPath,
                                     to_2tuple=lambda x: tuple(x) if isinstance(x, (tuple, list)) else (x, x),
                                     trunc_normal_=lambda t, std=1.0, **_k: torch.nn.init.trunc_normal_(t, std=std))
        timm.models.registry = _module("timm.models.registry", register_model=lambda fn: fn)


def import_upstream():
    """Returns (segment_anything, mobile_sam) from $SAM_SRC and $MOBILESAM_SRC."""
    install_shims()
    for var in ("SAM_SRC", "MOBILESAM_SRC"):
        path = os.environ.get(var)
        if not path or not os.path.isdir(path):
            sys.exit(f"set {var} to an upstream checkout (see tools/parity/README.md)")
        sys.path.insert(0, path)
    import segment_anything
    import mobile_sam
    return segment_anything, mobile_sam
