"""Goldens for the C# SAM port, produced by the official code with random weights.

Run:  SAM_SRC=/work/upstream/segment-anything MOBILESAM_SRC=/work/upstream/MobileSAM \
      /usr/bin/python3 tools/parity/sam_goldens.py
Writes tests/fixtures/sam/:
  truck_360x240.png        the fixture photo (tests/fixtures/images/truck.jpg, PIL-bilinear to 360x240)
  resize_golden.safetensors  PIL outputs of SAM's ResizeLongestSide (down, up, mixed scale)
  sam_vit_tiny.pth         official Sam (2-block ViT, one global block, window 7 on a 16x16 grid
                           so windows pad) with random weights: torch.save(state_dict)
  sam_vit_tiny_golden.safetensors + sam_vit_tiny_cases.json
                           SamPredictor on the photo: embedding, and per prompt case the
                           low-res logits, IoU predictions and final masks
  sam_tinyvit_tiny.pth     official MobileSAM Sam with a reduced TinyViT (fp16 weights, to stay small)
  sam_tinyvit_tiny_golden.safetensors   its embedding and one point prompt's outputs
  manifest_vit_b.json ... manifest_vit_t.json   every key and shape of the full-size official
                           state dicts (random init, no weights written)
"""
import functools
import json
import os

import numpy as np
import torch
from PIL import Image

from sam_upstream import import_upstream, save_safetensors

sa, ms = import_upstream()
ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
OUT = os.path.join(ROOT, "tests", "fixtures", "sam")
os.makedirs(OUT, exist_ok=True)
torch.set_num_threads(1)


def randomize(model, seed):
    """Random values for every float tensor the official init leaves at 0 or 1, so no term is a no-op."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, t in model.state_dict().items():
            if not t.is_floating_point():
                continue
            leaf = name.rsplit(".", 1)[-1]
            n = torch.randn(t.shape, generator=g)
            if leaf in ("rel_pos_h", "rel_pos_w", "pos_embed", "attention_biases"):
                t.copy_(0.5 * n)
            elif leaf == "running_var":
                t.copy_(0.5 + torch.rand(t.shape, generator=g))
            elif leaf == "running_mean":
                t.copy_(0.1 * n)
            elif leaf == "weight" and t.dim() == 1:  # layer/batch norm scales
                t.copy_(1.0 + 0.1 * n)
            elif leaf == "bias":
                t.copy_(0.1 * n)
            elif leaf == "weight" and t.dim() >= 2 and "embed" not in name and "tokens" not in name:
                fan_in = t[0].numel()
                t.copy_(n / fan_in ** 0.5)
            else:
                t.copy_(n)
    model.eval()  # after the weights: TinyViT caches its attention biases in eval()


def photo():
    path = os.path.join(OUT, "truck_360x240.png")
    src = Image.open(os.path.join(ROOT, "tests", "fixtures", "images", "truck.jpg")).convert("RGB")
    src.resize((360, 240), Image.BILINEAR).save(path)
    return np.array(Image.open(path).convert("RGB"))


def resize_goldens(img):
    t = sa.utils.transforms
    out = {"image": torch.from_numpy(img)}
    for name, size in (("long256", 256), ("long500", 500)):
        out[name] = torch.from_numpy(t.ResizeLongestSide(size).apply_image(img).copy())
    out["mixed_97x203"] = torch.from_numpy(np.array(Image.fromarray(img).resize((97, 203), Image.BILINEAR)))
    save_safetensors(os.path.join(OUT, "resize_golden.safetensors"), out)


def build_vit_tiny():
    m = sa.modeling
    return m.Sam(
        image_encoder=m.ImageEncoderViT(
            depth=2, embed_dim=64, img_size=256, mlp_ratio=4, norm_layer=functools.partial(torch.nn.LayerNorm, eps=1e-6),
            num_heads=4, patch_size=16, qkv_bias=True, use_rel_pos=True, global_attn_indexes=[1], window_size=7,
            out_chans=64),
        prompt_encoder=m.PromptEncoder(embed_dim=64, image_embedding_size=(16, 16), input_image_size=(256, 256),
                                       mask_in_chans=16),
        mask_decoder=m.MaskDecoder(
            num_multimask_outputs=3,
            transformer=m.TwoWayTransformer(depth=2, embedding_dim=64, mlp_dim=128, num_heads=4),
            transformer_dim=64, iou_head_depth=3, iou_head_hidden_dim=64))


def build_tinyvit_tiny():
    """MobileSAM's Sam around a reduced TinyViT. TinyViT's forward hard-codes a 64x64 final grid,
    so the input stays 1024; widths/depths shrink, the last stage keeps 320 (its merge has stride 1)
    and the 256-channel neck is rebuilt at 32 channels with the same layer types."""
    m = ms.modeling
    enc = m.TinyViT(img_size=1024, in_chans=3, num_classes=10, embed_dims=[8, 16, 24, 320], depths=[1, 1, 1, 1],
                    num_heads=[1, 2, 3, 10], window_sizes=[7, 7, 14, 7], mlp_ratio=1.0, drop_rate=0.0,
                    drop_path_rate=0.0, use_checkpoint=False, mbconv_expand_ratio=4.0, local_conv_size=3,
                    layer_lr_decay=0.8)
    LN2d = m.tiny_vit_sam.LayerNorm2d
    enc.neck = torch.nn.Sequential(torch.nn.Conv2d(320, 32, 1, bias=False), LN2d(32),
                                   torch.nn.Conv2d(32, 32, 3, padding=1, bias=False), LN2d(32))
    return m.Sam(
        image_encoder=enc,
        prompt_encoder=m.PromptEncoder(embed_dim=32, image_embedding_size=(64, 64), input_image_size=(1024, 1024),
                                       mask_in_chans=16),
        mask_decoder=m.MaskDecoder(
            num_multimask_outputs=3,
            transformer=m.TwoWayTransformer(depth=2, embedding_dim=32, mlp_dim=64, num_heads=4),
            transformer_dim=32, iou_head_depth=3, iou_head_hidden_dim=32))


CASES = [
    {"name": "point", "points": [[200, 120]], "labels": [1], "multimask": True},
    {"name": "points", "points": [[200, 120], [90, 60], [300, 200]], "labels": [1, 0, 1], "multimask": False},
    {"name": "box", "box": [40, 50, 300, 210], "multimask": False},
    {"name": "box_point", "box": [40, 50, 300, 210], "points": [[150, 130]], "labels": [0], "multimask": True},
    {"name": "mask_input", "points": [[200, 120], [90, 60], [300, 200]], "labels": [1, 0, 1], "multimask": False,
     "mask_input_from": "points"},
]
BATCH_BOXES = [[40, 50, 300, 210], [0, 0, 120, 100], [180, 20, 359, 239]]


def pack(masks):
    """Boolean masks as bits (numpy packbits, little bit order, row-major over the whole array) to
    keep goldens small; the reader unpacks to the shape of its own prediction."""
    return torch.from_numpy(np.packbits(np.asarray(masks, dtype=bool).reshape(-1), bitorder="little"))


def run_cases(predictor, out):
    lowres = {}
    for c in CASES:
        mask_input = lowres[c["mask_input_from"]] if "mask_input_from" in c else None
        masks, iou, low = predictor.predict(
            point_coords=np.array(c["points"], dtype=np.float64) if "points" in c else None,
            point_labels=np.array(c["labels"]) if "labels" in c else None,
            box=np.array(c["box"], dtype=np.float64) if "box" in c else None,
            mask_input=mask_input, multimask_output=c["multimask"])
        lowres[c["name"]] = low
        out[c["name"] + ".masks"] = pack(masks)
        out[c["name"] + ".iou"] = torch.from_numpy(iou)
        out[c["name"] + ".low_res_logits"] = torch.from_numpy(low)
    boxes = predictor.transform.apply_boxes_torch(torch.tensor(BATCH_BOXES, dtype=torch.float), predictor.original_size)
    masks, iou, low = predictor.predict_torch(None, None, boxes=boxes, multimask_output=True)
    out["batched_boxes.masks"] = pack(masks.numpy())
    out["batched_boxes.iou"] = iou
    out["batched_boxes.low_res_logits"] = low


def vit_tiny_goldens(img):
    torch.manual_seed(0)
    sam = build_vit_tiny()
    randomize(sam, seed=1)
    torch.save(sam.state_dict(), os.path.join(OUT, "sam_vit_tiny.pth"))
    predictor = sa.SamPredictor(sam)
    predictor.set_image(img)
    out = {"embedding": predictor.features}
    run_cases(predictor, out)
    save_safetensors(os.path.join(OUT, "sam_vit_tiny_golden.safetensors"), out)
    with open(os.path.join(OUT, "sam_vit_tiny_cases.json"), "w") as f:
        json.dump({"cases": CASES, "batched_boxes": BATCH_BOXES}, f, indent=1)


def tinyvit_tiny_goldens(img):
    torch.manual_seed(0)
    sam = build_tinyvit_tiny()
    randomize(sam, seed=2)
    with torch.no_grad():  # fp16-representable weights, stored as fp16: the .pth stays under 2 MB
        for t in sam.state_dict().values():
            if t.is_floating_point():
                t.copy_(t.half().float())
    sam.eval()
    half = {k: (v.half() if v.is_floating_point() else v) for k, v in sam.state_dict().items()}
    torch.save(half, os.path.join(OUT, "sam_tinyvit_tiny.pth"))
    predictor = ms.SamPredictor(sam)
    predictor.set_image(img)
    masks, iou, low = predictor.predict(point_coords=np.array([[200.0, 120.0]]), point_labels=np.array([1]),
                                        multimask_output=False)
    save_safetensors(os.path.join(OUT, "sam_tinyvit_tiny_golden.safetensors"), {
        "embedding": predictor.features, "point.masks": pack(masks),
        "point.iou": torch.from_numpy(iou), "point.low_res_logits": torch.from_numpy(low)})


def manifests():
    builders = {"vit_b": sa.sam_model_registry["vit_b"], "vit_l": sa.sam_model_registry["vit_l"],
                "vit_h": sa.sam_model_registry["vit_h"], "vit_t": ms.sam_model_registry["vit_t"]}
    for name, build in builders.items():
        model = build()
        keys = [[k, list(v.shape), str(v.dtype).replace("torch.", "")] for k, v in model.state_dict().items()]
        with open(os.path.join(OUT, f"manifest_{name}.json"), "w") as f:
            json.dump({"model_type": name, "parameters": sum(p.numel() for p in model.parameters()), "keys": keys}, f, indent=0)
        print(name, len(keys), "keys")
        del model


if __name__ == "__main__":
    img = photo()
    resize_goldens(img)
    vit_tiny_goldens(img)
    tinyvit_tiny_goldens(img)
    manifests()
    for f in sorted(os.listdir(OUT)):
        print(f"{os.path.getsize(os.path.join(OUT, f)):>10}  {f}")
