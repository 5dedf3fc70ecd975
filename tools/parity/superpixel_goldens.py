"""Independent reference for the semantic projector's label-map arithmetic (tests/VisualWords.Tests/Projectors).

Plain per-pixel Python loops (slow, obviously correct) compute what the C# code computes with
bincount tables: pixel counts per (region, patch), area weights, and the SSPE geometry vector
(box, centroid, log-area fraction, S x S coverage thumbnail with adaptive-average-pooling cells).
The label map size is deliberately not a multiple of the grid.

    /usr/bin/python3 tools/parity/superpixel_goldens.py tests/fixtures/projectors
"""
import math
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from safetensors_writer import save_safetensors  # noqa: E402

OUT = sys.argv[1] if len(sys.argv) > 1 else "tests/fixtures/projectors"
H, W, GH, GW, S = 50, 70, 6, 7, 8


def label_map(gen):
    """Voronoi cells around 9 random seeds plus a 2x2 speck and a one-pixel-wide line."""
    seeds = [(int(torch.randint(0, H, (1,), generator=gen)), int(torch.randint(0, W, (1,), generator=gen))) for _ in range(9)]
    labels = [[min(range(9), key=lambda s: (y - seeds[s][0]) ** 2 + (x - seeds[s][1]) ** 2) for x in range(W)] for y in range(H)]
    for y in (20, 21):
        for x in (33, 34):
            labels[y][x] = 9
    for x in range(5, 60):
        labels[44][x] = 10
    used = sorted({v for row in labels for v in row})
    remap = {v: i for i, v in enumerate(used)}
    return [[remap[v] for v in row] for row in labels], len(used)


def reference(labels, regions):
    counts = [[0] * (GH * GW) for _ in range(regions)]
    area = [0] * regions
    box = [[W, H, -1, -1] for _ in range(regions)]
    sy, sx = [0.0] * regions, [0.0] * regions
    for y in range(H):
        for x in range(W):
            r = labels[y][x]
            counts[r][(y * GH // H) * GW + (x * GW // W)] += 1
            area[r] += 1
            b = box[r]
            b[0], b[1], b[2], b[3] = min(b[0], x), min(b[1], y), max(b[2], x), max(b[3], y)
            sy[r] += y + 0.5
            sx[r] += x + 0.5
    geometry = []
    for r in range(regions):
        x0, y0, x1, y1 = box[r]
        bh, bw = y1 - y0 + 1, x1 - x0 + 1
        thumb = []
        for i in range(S):
            ya, yb = y0 + (i * bh) // S, y0 + math.ceil((i + 1) * bh / S)
            for j in range(S):
                xa, xb = x0 + (j * bw) // S, x0 + math.ceil((j + 1) * bw / S)
                cell = [labels[y][x] == r for y in range(ya, yb) for x in range(xa, xb)]
                thumb.append(sum(cell) / len(cell))
        geometry.append([x0 / W, y0 / H, (x1 + 1) / W, (y1 + 1) / H, sx[r] / area[r] / W, sy[r] / area[r] / H,
                         math.log(area[r] / (H * W))] + thumb)
    weights = [[c / area[r] for c in counts[r]] for r in range(regions)]
    return counts, weights, geometry


if __name__ == "__main__":
    os.makedirs(OUT, exist_ok=True)
    gen = torch.Generator().manual_seed(7)
    labels, regions = label_map(gen)
    counts, weights, geometry = reference(labels, regions)
    save_safetensors(f"{OUT}/superpixel_layout.safetensors", {
        "labels": torch.tensor(labels, dtype=torch.int64),
        "pixel_counts": torch.tensor(counts, dtype=torch.int64),
        "weights": torch.tensor(weights, dtype=torch.float32),
        "geometry": torch.tensor(geometry, dtype=torch.float32),
    }, {"grid": f"{GH}x{GW}", "shape_grid": str(S)})
    print("wrote", f"{OUT}/superpixel_layout.safetensors", regions, "regions")
