"""Official everything mode timed from a precomputed 1024x1024 image embedding (no encoder pass).

  prepare DIR                      random full-size vit_b and vit_t (MobileSAM) checkpoints and one
                                   random 1x256x64x64 embedding, as .pth, into DIR
  run MODEL CKPT EMB N IOU STAB THREADS
                                   one timed SamAutomaticMaskGenerator.generate with an N x N grid
                                   after a 4x4 warm-up; prints {"s": wall seconds, "cpu_s": process CPU seconds, "masks": count}

Upstream from $SAM_SRC / $MOBILESAM_SRC via tools/parity (same stand-ins as the goldens).
"""
import json
import os
import sys
import time

import numpy as np
import torch

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "tools", "parity"))
import amg_goldens  # noqa: E402  (installs the torchvision/cv2 stand-ins, imports upstream)
from sam_goldens import ms, sa  # noqa: E402


def prepare(out):
    os.makedirs(out, exist_ok=True)
    torch.manual_seed(0)
    torch.save(sa.sam_model_registry["vit_b"]().state_dict(), os.path.join(out, "sam_vit_b_random.pth"))
    torch.save(ms.sam_model_registry["vit_t"]().state_dict(), os.path.join(out, "mobile_sam_random.pth"))
    # LayerNorm2d ends the neck, so real embeddings are roughly unit-variance per position.
    torch.save({"embedding": torch.randn(1, 256, 64, 64)}, os.path.join(out, "embedding_1024.pth"))


def run(model_type, ckpt, emb_path, n, iou, stab, threads):
    torch.set_num_threads(threads)
    registry = ms.sam_model_registry if model_type == "vit_t" else sa.sam_model_registry
    sam = registry[model_type]()
    sam.load_state_dict(torch.load(ckpt))
    sam.eval()
    emb = torch.load(emb_path)["embedding"]
    image = np.zeros((1024, 1024, 3), dtype=np.uint8)

    def gen(points):
        g = (ms if model_type == "vit_t" else sa).SamAutomaticMaskGenerator(
            sam, points_per_side=points, pred_iou_thresh=iou, stability_score_thresh=stab, output_mode="uncompressed_rle")
        p = g.predictor

        def set_image(img, image_format="RGB"):  # the precomputed embedding instead of the encoder
            p.reset_image()
            p.original_size = img.shape[:2]
            p.input_size = p.transform.get_preprocess_shape(img.shape[0], img.shape[1], sam.image_encoder.img_size)
            p.features = emb
            p.is_image_set = True

        p.set_image = set_image
        return g

    with torch.no_grad():
        gen(4).generate(image)
        g = gen(n)
        t, c = time.perf_counter(), time.process_time()
        masks = g.generate(image)
        s, cpu = time.perf_counter() - t, time.process_time() - c
    print(json.dumps({"s": s, "cpu_s": cpu, "masks": len(masks)}))


if __name__ == "__main__":
    if sys.argv[1] == "prepare":
        prepare(sys.argv[2])
    else:
        a = sys.argv[2:]
        run(a[0], a[1], a[2], int(a[3]), float(a[4]), float(a[5]), int(a[6]))
