"""Reference timing for the vision-tower bench: the official model code, full size, random weights.

    CLIP_SRC=... DINOV2_SRC=... /usr/bin/python3 bench/python/tower_reference.py clip 336 1 3

Arguments: tower (clip | dinov2), image side, threads, timed runs. Prints one JSON line with the
per-run milliseconds (after one warm-up). CLIP: openai/CLIP ViT-L/14-336 blocks up to the
second-to-last (LLaVA's select_layer=-2). DINOv2: vit_large/14 (img 518, layer scale), x_norm_patchtokens.
"""
import json
import os
import sys
import time

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tools", "parity"))
from vision_upstream import ClipVisionTransformer, vit_large  # noqa: E402


def main():
    tower, side, threads, runs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    x = torch.randn(1, 3, side, side)
    if tower == "clip":
        vit = ClipVisionTransformer(input_resolution=336, patch_size=14, width=1024, layers=24, heads=16, output_dim=768).eval()

        def forward():
            h = vit.conv1(x).flatten(2).permute(0, 2, 1)
            h = torch.cat([vit.class_embedding + torch.zeros(1, 1, h.shape[-1]), h], dim=1) + vit.positional_embedding
            h = vit.ln_pre(h).permute(1, 0, 2)
            for blk in list(vit.transformer.resblocks)[:-1]:
                h = blk(h)
            return h.permute(1, 0, 2)[:, 1:]
    else:
        vit = vit_large(patch_size=14, img_size=518, init_values=1.0, block_chunks=0).eval()

        def forward():
            return vit.forward_features(x)["x_norm_patchtokens"]
    times = []
    with torch.no_grad():
        shape = list(forward().shape)
        for _ in range(runs):
            t = time.perf_counter()
            forward()
            times.append((time.perf_counter() - t) * 1000)
    print(json.dumps({"tower": tower, "side": side, "shape": shape, "ms": times}))


if __name__ == "__main__":
    main()
