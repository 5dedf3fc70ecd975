"""End-to-end check of a full-size model against the official code (random weights; not a unit test).

  SAM_SRC=... MOBILESAM_SRC=... /usr/bin/python3 tools/parity/sam_fullsize_check.py DIR [--model-type vit_t]
      writes DIR/<type>_random.pth (official model, random weights, seed 0), DIR/official_mask.png and
      DIR/official.json for one click at (500, 375) on tests/fixtures/images/truck.jpg, multimask.
  ./visualwords sam --model-type vit_t --checkpoint DIR/vit_t_random.pth --image tests/fixtures/images/truck.jpg \
      --point 500,375 --multimask --out DIR/ours_mask.png --json DIR/ours.json
  /usr/bin/python3 tools/parity/sam_fullsize_check.py DIR --compare
      prints the IoU predictions of both and how many mask pixels differ.
"""
import json
import os
import sys

import numpy as np
import torch
from PIL import Image

from sam_upstream import import_upstream

out = sys.argv[1]
model_type = sys.argv[sys.argv.index("--model-type") + 1] if "--model-type" in sys.argv else "vit_t"
root = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
os.makedirs(out, exist_ok=True)

if "--compare" in sys.argv:
    ours = np.array(Image.open(os.path.join(out, "ours_mask.png"))) > 127
    theirs = np.array(Image.open(os.path.join(out, "official_mask.png"))) > 127
    with open(os.path.join(out, "official.json")) as f:
        off = json.load(f)
    with open(os.path.join(out, "ours.json")) as f:
        our = json.load(f)
    print(json.dumps({"official_iou": off["iou"], "ours_iou": our["iou_predictions"],
                      "iou_max_abs_diff": float(np.max(np.abs(np.array(off["iou"]) - np.array(our["iou_predictions"])))),
                      "pixels": int(ours.size), "pixels_differ": int((ours ^ theirs).sum())}))
    sys.exit(0)

sa, ms = import_upstream()
registry = ms.sam_model_registry if model_type == "vit_t" else sa.sam_model_registry
torch.manual_seed(0)
sam = registry[model_type]()
g = torch.Generator().manual_seed(3)
with torch.no_grad():  # the init leaves these at zero; give them values so they matter
    for k, t in sam.state_dict().items():
        if k.endswith(("attention_biases", "rel_pos_h", "rel_pos_w", "pos_embed")):
            t.copy_(0.5 * torch.randn(t.shape, generator=g))
sam.eval()  # after the weights (TinyViT caches its attention biases here)
torch.save(sam.state_dict(), os.path.join(out, f"{model_type}_random.pth"))
img = np.array(Image.open(os.path.join(root, "tests", "fixtures", "images", "truck.jpg")).convert("RGB"))
predictor = (ms if model_type == "vit_t" else sa).SamPredictor(sam)
predictor.set_image(img)
masks, iou, _ = predictor.predict(point_coords=np.array([[500.0, 375.0]]), point_labels=np.array([1]), multimask_output=True)
best = int(iou.argmax())
Image.fromarray((masks[best] * 255).astype(np.uint8)).save(os.path.join(out, "official_mask.png"))
with open(os.path.join(out, "official.json"), "w") as f:
    json.dump({"model_type": model_type, "iou": iou.tolist(), "best": best}, f)
print("wrote", out)
