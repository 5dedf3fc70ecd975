"""Goldens for everything mode: the official SamAutomaticMaskGenerator on a random-weight tiny SAM.

Run:  SAM_SRC=/work/upstream/segment-anything MOBILESAM_SRC=/work/upstream/MobileSAM \
      /usr/bin/python3 tools/parity/amg_goldens.py [--only-shapes]
Needs tests/fixtures/sam/sam_vit_tiny.pth and truck_360x240.png (written by sam_goldens.py).
Writes tests/fixtures/amg/:
  amg_vit_tiny.pth               sam_vit_tiny.pth with the mask decoder's two transposed-convolution
                                 kernels averaged over their 2x2 taps: with random taps every upscaled
                                 pixel flips sign and every mask spans the whole image (all boxes equal,
                                 NMS keeps one); with constant taps masks follow the embedding and vary
  amg_<case>.json                the generator's records (output_mode="uncompressed_rle") and its options
  amg_<case>_embeddings.safetensors  the image embedding of every crop the generator encoded, in order,
                                 so the C# side can run from precomputed embeddings
  amg_shapes_default.json (+ _embeddings)  the ShapesWorld SAM (models/shapes-sam, trained by our code)
                                 on tests/fixtures/shapes/scene.png at SAM's default options: the filters
                                 at 0.88 / 0.95 on a model whose masks can pass them
Thresholds of the random-weight cases are lowered (random weights give low IoU predictions and unstable
masks) so that masks survive and each filter still removes some. Debian's python3-torch has no torchvision or OpenCV:
box NMS and connected components are given here as small stand-ins with the same semantics
(torchvision's greedy NMS with a stable descending sort; OpenCV's 8-connected component areas).
"""
import functools
import json
import os
import sys
import types

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import sam_upstream  # noqa: E402

sam_upstream.install_shims()


def box_area(boxes):
    return (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])


def nms(boxes, scores, iou_threshold):
    order = torch.sort(scores, descending=True, stable=True).indices
    b = boxes[order].float()
    area = box_area(b)
    removed = torch.zeros(len(b), dtype=torch.bool)
    keep = []
    for i in range(len(b)):
        if removed[i]:
            continue
        keep.append(i)
        rest = b[i + 1:]
        w = (torch.minimum(b[i, 2], rest[:, 2]) - torch.maximum(b[i, 0], rest[:, 0])).clamp(min=0)
        h = (torch.minimum(b[i, 3], rest[:, 3]) - torch.maximum(b[i, 1], rest[:, 1])).clamp(min=0)
        inter = w * h
        removed[i + 1:] |= inter / (area[i] + area[i + 1:] - inter) > iou_threshold
    return order[torch.tensor(keep, dtype=torch.long)]


def batched_nms(boxes, scores, idxs, iou_threshold):
    if len(boxes) == 0:
        return torch.zeros(0, dtype=torch.long)
    assert bool((idxs == idxs[0]).all()), "SAM only calls batched_nms with one category"
    return nms(boxes, scores, iou_threshold)


def connected_components_with_stats(image, connectivity):
    """8-connected labelling by min-label propagation; labels in raster order of first pixel."""
    assert connectivity == 8
    fg = image.astype(bool)
    h, w = fg.shape
    big = h * w
    lab = np.where(fg, np.arange(big).reshape(h, w), big)
    while True:
        p = np.pad(lab, 1, constant_values=big)
        nb = np.min(np.stack([p[1 + dy:1 + dy + h, 1 + dx:1 + dx + w] for dy in (-1, 0, 1) for dx in (-1, 0, 1)]), axis=0)
        new = np.where(fg, nb, big)
        if np.array_equal(new, lab):
            break
        lab = new
    roots = np.unique(lab[fg])  # component minimum = its first pixel in raster order
    labels = np.zeros((h, w), dtype=np.int32)
    labels[fg] = np.searchsorted(roots, lab[fg]) + 1
    areas = np.bincount(labels.reshape(-1), minlength=len(roots) + 1)
    stats = np.zeros((len(roots) + 1, 5), dtype=np.int32)
    stats[:, -1] = areas
    return len(roots) + 1, labels, stats, None


sys.modules["torchvision.ops.boxes"].batched_nms = batched_nms
sys.modules["torchvision.ops.boxes"].box_area = box_area
sys.modules["cv2"] = types.SimpleNamespace(connectedComponentsWithStats=connected_components_with_stats)

from sam_goldens import build_vit_tiny, sa  # noqa: E402  (imports segment_anything with the stand-ins above)
from PIL import Image  # noqa: E402
from safetensors_writer import load_safetensors  # noqa: E402

ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
SAM_FIX = os.path.join(ROOT, "tests", "fixtures", "sam")
OUT = os.path.join(ROOT, "tests", "fixtures", "amg")
os.makedirs(OUT, exist_ok=True)
torch.set_num_threads(1)

CASES = {
    # The random IoU head is negative for two of the three outputs, which are the local masks, so the
    # IoU filter is off (0) except in "iou"; a small stability offset suits the small random logits.
    "grid": dict(points_per_side=16, points_per_batch=50, pred_iou_thresh=0.0, stability_score_thresh=0.65,
                 stability_score_offset=0.01, box_nms_thresh=0.7),
    "iou": dict(points_per_side=8, points_per_batch=64, pred_iou_thresh=0.5, stability_score_thresh=0.3,
                stability_score_offset=0.05, box_nms_thresh=0.9),
    "crops": dict(points_per_side=12, points_per_batch=64, pred_iou_thresh=0.0, stability_score_thresh=0.5,
                  stability_score_offset=0.01, box_nms_thresh=0.7, crop_n_layers=1, crop_nms_thresh=0.7,
                  crop_overlap_ratio=0.25, crop_n_points_downscale_factor=2, min_mask_region_area=30),
}


def build_shapes_sam32():
    """The ShapesWorld SAM's architecture (SamModelConfig.ShapesSam32) from the official classes."""
    m = sa.modeling
    return m.Sam(
        image_encoder=m.ImageEncoderViT(
            depth=4, embed_dim=96, img_size=128, mlp_ratio=4, norm_layer=functools.partial(torch.nn.LayerNorm, eps=1e-6),
            num_heads=4, patch_size=4, qkv_bias=True, use_rel_pos=True, global_attn_indexes=[1, 3], window_size=8,
            out_chans=64),
        prompt_encoder=m.PromptEncoder(embed_dim=64, image_embedding_size=(32, 32), input_image_size=(128, 128),
                                       mask_in_chans=16),
        mask_decoder=m.MaskDecoder(
            num_multimask_outputs=3,
            transformer=m.TwoWayTransformer(depth=2, embedding_dim=64, mlp_dim=256, num_heads=4),
            transformer_dim=64, iou_head_depth=3, iou_head_hidden_dim=64))


def run_case(sam, img, name, opts):
    gen = sa.SamAutomaticMaskGenerator(sam, output_mode="uncompressed_rle", **opts)
    embeddings = []
    set_image = gen.predictor.set_image

    def recording_set_image(image, *a, **k):
        set_image(image, *a, **k)
        embeddings.append(gen.predictor.features.clone())

    gen.predictor.set_image = recording_set_image
    with torch.no_grad():
        records = gen.generate(img)
    return records, embeddings


def main():
    sam = build_vit_tiny()
    sam.load_state_dict(torch.load(os.path.join(SAM_FIX, "sam_vit_tiny.pth")))
    with torch.no_grad():
        for i in (0, 3):
            w = sam.mask_decoder.output_upscaling[i].weight
            w.copy_(w.mean((2, 3), keepdim=True).expand_as(w))
    sam.eval()
    torch.save(sam.state_dict(), os.path.join(OUT, "amg_vit_tiny.pth"))
    img = np.array(Image.open(os.path.join(SAM_FIX, "truck_360x240.png")).convert("RGB"))
    for name, opts in CASES.items():
        if "--only-shapes" in sys.argv:
            break
        records, embeddings = run_case(sam, img, name, opts)
        save_case(name, opts, "tests/fixtures/sam/truck_360x240.png", records, embeddings)

    # SAM's defaults on the ShapesWorld SAM, whose masks pass them.
    shapes = build_shapes_sam32()
    state = load_safetensors(os.path.join(ROOT, "models", "shapes-sam", "model.safetensors"))
    missing, unexpected = shapes.load_state_dict(state, strict=False)
    assert not unexpected and all(k in ("pixel_mean", "pixel_std") for k in missing), (missing, unexpected)
    shapes.eval()
    scene = np.array(Image.open(os.path.join(ROOT, "tests", "fixtures", "shapes", "scene.png")).convert("RGB"))
    records, embeddings = run_case(shapes, scene, "shapes_default", {})
    save_case("shapes_default", {}, "tests/fixtures/shapes/scene.png", records, embeddings)


def save_case(name, opts, image, records, embeddings):
    with open(os.path.join(OUT, f"amg_{name}.json"), "w") as f:
        json.dump({"options": opts, "image": image, "records": records}, f)
    sam_upstream.save_safetensors(os.path.join(OUT, f"amg_{name}_embeddings.safetensors"),
                                  {f"crop{i}": e for i, e in enumerate(embeddings)})
    print(name, len(records), "masks from", len(embeddings), "crops; areas", sorted(r["area"] for r in records))

if __name__ == "__main__":
    main()
