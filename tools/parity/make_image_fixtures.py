"""Writes tiny images in awkward encodings plus what PIL decodes them to.

Run: /usr/bin/python3 tools/parity/make_image_fixtures.py
Outputs tests/fixtures/images/{exif_rot6.jpg, gray.png, palette.png, rgba.png, gray16.png,
cmyk.jpg, tiny.webp, tiny.bmp} and expected.json: for each file the upright size (after
ImageOps.exif_transpose) and a few RGB pixels of PIL's convert("RGB"), our reference decoder.
"""
import json
import os

import numpy as np
from PIL import Image, ImageOps

out = os.path.join(os.path.dirname(__file__), "..", "..", "tests", "fixtures", "images")
os.makedirs(out, exist_ok=True)

# 40x20 stored: left half red, right half blue; EXIF orientation 6 = displayed rotated 90 deg clockwise.
a = np.zeros((20, 40, 3), np.uint8)
a[:, :20] = (220, 30, 30)
a[:, 20:] = (30, 30, 220)
exif = Image.Exif()
exif[274] = 6
Image.fromarray(a).save(os.path.join(out, "exif_rot6.jpg"), quality=95, exif=exif.tobytes())

yy, xx = np.mgrid[0:16, 0:16]
grad = (xx * 16 + yy).astype(np.uint8)
Image.fromarray(grad, "L").save(os.path.join(out, "gray.png"))
rgb = np.stack([xx * 16, yy * 16, 255 - xx * 8], -1).astype(np.uint8)
Image.fromarray(rgb).convert("P", palette=Image.ADAPTIVE, colors=16).save(os.path.join(out, "palette.png"))
rgba = np.concatenate([rgb, (xx * 16).astype(np.uint8)[..., None]], -1)
Image.fromarray(rgba, "RGBA").save(os.path.join(out, "rgba.png"))
Image.fromarray((grad.astype(np.uint16) * 257).astype(np.uint16), "I;16").save(os.path.join(out, "gray16.png"))
Image.fromarray(rgb).convert("CMYK").save(os.path.join(out, "cmyk.jpg"), quality=100)
Image.fromarray(rgb).save(os.path.join(out, "tiny.webp"), lossless=True)
Image.fromarray(rgb).save(os.path.join(out, "tiny.bmp"))

expected = {}
for name in ["exif_rot6.jpg", "gray.png", "palette.png", "rgba.png", "gray16.png", "cmyk.jpg", "tiny.webp", "tiny.bmp"]:
    im = ImageOps.exif_transpose(Image.open(os.path.join(out, name)))
    if im.mode.startswith("I"):
        # PIL 9's I;16 -> RGB conversion clips instead of scaling; the truth is the 8-bit source.
        px = np.repeat(grad[..., None], 3, -1)
    else:
        px = np.asarray(im.convert("RGB"))
    probes = [(0, 0), (im.width - 1, 0), (im.width // 2, im.height // 2), (0, im.height - 1), (im.width - 1, im.height - 1)]
    expected[name] = {"width": im.width, "height": im.height,
                      "pixels": [{"x": x, "y": y, "rgb": px[y, x].tolist()} for x, y in probes]}
with open(os.path.join(out, "expected.json"), "w") as f:
    json.dump(expected, f, indent=1)
print(json.dumps(expected)[:400])
