"""Goldens for our COCO mask helpers, computed by the official cocoapi C code.

Debian has no python3-pycocotools, so this compiles cocoapi's common/maskApi.c (the code that
pycocotools' _mask.pyx wraps) into a temporary shared library and calls it with ctypes, the same
way _mask.pyx does (polygons -> rleFrPoly, boxes -> rleFrBbox, strings via rleToString/rleFrString,
masks column-major via rleEncode/rleDecode, rleMerge, rleArea, rleToBbox).

  COCOAPI_SRC=/work/upstream/cocoapi /usr/bin/python3 tools/parity/coco_goldens.py \
      [--refcocog tests/fixtures/refcocog-umd-sample/instances.json] [--out tests/fixtures/coco]
"""
import argparse, ctypes, json, os, random, subprocess, tempfile

import numpy as np


class RLE(ctypes.Structure):
    _fields_ = [("h", ctypes.c_ulong), ("w", ctypes.c_ulong), ("m", ctypes.c_ulong),
                ("cnts", ctypes.POINTER(ctypes.c_uint))]


def build_lib(src):
    c = os.path.join(src, "common", "maskApi.c")
    if not os.path.exists(c):
        raise SystemExit(f"COCOAPI_SRC={src} has no common/maskApi.c")
    out = os.path.join(tempfile.mkdtemp(), "libmaskapi.so")
    subprocess.check_call(["gcc", "-O2", "-shared", "-fPIC", "-I", os.path.join(src, "common"), c, "-o", out, "-lm"])
    lib = ctypes.CDLL(out)
    lib.rleToString.restype = ctypes.c_void_p
    return lib


class Api:
    """Thin ctypes wrappers; every RLE leaves as (h, w, counts list)."""

    def __init__(self, lib):
        self.lib = lib

    @staticmethod
    def _counts(r):
        return [int(r.cnts[i]) for i in range(r.m)]

    def _mk(self, h, w, counts):
        r = RLE()
        arr = (ctypes.c_uint * max(len(counts), 1))(*counts)
        self.lib.rleInit(ctypes.byref(r), ctypes.c_ulong(h), ctypes.c_ulong(w), ctypes.c_ulong(len(counts)), arr)
        return r

    def fr_poly(self, poly, h, w):
        xy = (ctypes.c_double * len(poly))(*poly)
        r = RLE()
        self.lib.rleFrPoly(ctypes.byref(r), xy, ctypes.c_ulong(len(poly) // 2), ctypes.c_ulong(h), ctypes.c_ulong(w))
        return self._counts(r)

    def fr_bbox(self, bb, h, w):
        arr = (ctypes.c_double * 4)(*bb)
        r = RLE()
        self.lib.rleFrBbox(ctypes.byref(r), arr, ctypes.c_ulong(h), ctypes.c_ulong(w), ctypes.c_ulong(1))
        return self._counts(r)

    def to_string(self, h, w, counts):
        r = self._mk(h, w, counts)
        p = self.lib.rleToString(ctypes.byref(r))
        return ctypes.string_at(p).decode("ascii")

    def fr_string(self, s, h, w):
        r = RLE()
        self.lib.rleFrString(ctypes.byref(r), ctypes.c_char_p(s.encode("ascii")), ctypes.c_ulong(h), ctypes.c_ulong(w))
        return self._counts(r)

    def encode(self, mask):
        """mask: HxW uint8 (row-major numpy); encoded column-major as pycocotools.encode does."""
        h, w = mask.shape
        f = np.asfortranarray(mask.astype(np.uint8))
        r = RLE()
        self.lib.rleEncode(ctypes.byref(r), f.ctypes.data_as(ctypes.c_void_p), ctypes.c_ulong(h), ctypes.c_ulong(w), ctypes.c_ulong(1))
        return self._counts(r)

    def merge(self, h, w, list_of_counts, intersect):
        n = len(list_of_counts)
        arr = (RLE * n)()
        for i, c in enumerate(list_of_counts):
            arr[i] = self._mk(h, w, c)
        out = RLE()
        self.lib.rleMerge(arr, ctypes.byref(out), ctypes.c_ulong(n), ctypes.c_int(intersect))
        return self._counts(out)

    def area(self, h, w, counts):
        r = self._mk(h, w, counts)
        a = ctypes.c_uint()
        self.lib.rleArea(ctypes.byref(r), ctypes.c_ulong(1), ctypes.byref(a))
        return int(a.value)

    def bbox(self, h, w, counts):
        r = self._mk(h, w, counts)
        bb = (ctypes.c_double * 4)()
        self.lib.rleToBbox(ctypes.byref(r), bb, ctypes.c_ulong(1))
        return [float(v) for v in bb]


def decode(h, w, counts):
    flat = np.zeros(h * w, np.uint8)
    p, v = 0, 0
    for c in counts:
        flat[p:p + c] = v
        p += c
        v ^= 1
    return flat.reshape((w, h)).T  # column-major -> HxW


def random_polygon(rng, h, w):
    k = rng.randint(3, 12)
    pad = rng.choice([0.0, 3.0])
    pts = []
    for _ in range(k):
        pts += [round(rng.uniform(-pad, w + pad), rng.choice([0, 1, 2])),
                round(rng.uniform(-pad, h + pad), rng.choice([0, 1, 2]))]
    if rng.random() < 0.2:  # a repeated vertex, as real COCO polygons have
        i = rng.randrange(k) * 2
        pts[i + 2:i + 2] = pts[i:i + 2]
    return pts


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--refcocog", default="tests/fixtures/refcocog-umd-sample/instances.json")
    ap.add_argument("--out", default="tests/fixtures/coco")
    args = ap.parse_args()
    api = Api(build_lib(os.environ.get("COCOAPI_SRC", "/work/upstream/cocoapi")))
    rng = random.Random(1234)
    np_rng = np.random.RandomState(1234)

    def record(h, w, counts):
        return {"counts": counts, "string": api.to_string(h, w, counts),
                "area": api.area(h, w, counts), "bbox": api.bbox(h, w, counts)}

    polygons = []
    for i in range(60):
        h, w = rng.randint(1, 24), rng.randint(1, 24)
        poly = random_polygon(rng, h, w)
        polygons.append({"h": h, "w": w, "poly": poly, **record(h, w, api.fr_poly(poly, h, w))})
    # hand-checkable cases: a 2x2 square inside a 4x4 canvas, and a triangle
    for h, w, poly in [(4, 4, [1, 1, 3, 1, 3, 3, 1, 3]), (5, 6, [0, 0, 6, 0, 0, 5]),
                       (3, 3, [0, 0, 0, 0, 3, 0, 3, 3, 0, 3])]:
        polygons.append({"h": h, "w": w, "poly": poly, **record(h, w, api.fr_poly(poly, h, w))})

    boxes = []
    for i in range(20):
        h, w = rng.randint(1, 20), rng.randint(1, 20)
        bb = [round(rng.uniform(-2, w), 1), round(rng.uniform(-2, h), 1), round(rng.uniform(0, w), 1), round(rng.uniform(0, h), 1)]
        boxes.append({"h": h, "w": w, "bbox_in": bb, **record(h, w, api.fr_bbox(bb, h, w))})

    masks = []
    for i in range(40):
        h, w = rng.randint(1, 12), rng.randint(1, 12)
        density = rng.choice([0.0, 0.1, 0.5, 0.9, 1.0])
        m = (np_rng.rand(h, w) < density).astype(np.uint8)
        counts = api.encode(m)
        assert (decode(h, w, counts) == m).all()
        masks.append({"h": h, "w": w, "rows": ["".join(str(int(v)) for v in row) for row in m], **record(h, w, counts)})

    merges = []
    for i in range(30):
        h, w = rng.randint(1, 10), rng.randint(1, 10)
        n = rng.randint(1, 4)
        parts = [api.encode((np_rng.rand(h, w) < rng.choice([0.2, 0.5, 0.8])).astype(np.uint8)) for _ in range(n)]
        merges.append({"h": h, "w": w, "parts": parts,
                       "union": api.merge(h, w, parts, 0), "intersect": api.merge(h, w, parts, 1)})

    # strings with large counts and negative deltas (the i>2 delta rule, multi-char varints)
    strings = []
    for counts in [[0], [5], [0, 1000000, 3], [7, 3, 1, 40000, 2, 1, 99999999], [12, 0, 5, 4000000000 - 17, 3]]:
        h, w = 1, sum(counts)
        s = api.to_string(h, w, counts)
        strings.append({"h": h, "w": w, "counts": counts, "string": s, "back": api.fr_string(s, h, w)})

    # the real RefCOCOg sample: every annotation's polygon parts, merged as COCO.annToRLE does
    refcocog = []
    if os.path.exists(args.refcocog):
        inst = json.load(open(args.refcocog))
        imgs = {im["id"]: im for im in inst["images"]}
        for ann in inst["annotations"]:
            im = imgs[ann["image_id"]]
            h, w = im["height"], im["width"]
            parts = [api.fr_poly(p, h, w) for p in ann["segmentation"]]
            merged = api.merge(h, w, parts, 0)
            refcocog.append({"id": ann["id"], "h": h, "w": w, "string": api.to_string(h, w, merged),
                             "area": api.area(h, w, merged), "bbox": api.bbox(h, w, merged)})

    os.makedirs(args.out, exist_ok=True)
    out = {"source": "cocoapi common/maskApi.c via ctypes (tools/parity/coco_goldens.py)",
           "polygons": polygons, "boxes": boxes, "masks": masks, "merges": merges, "strings": strings, "refcocog": refcocog}
    path = os.path.join(args.out, "mask_goldens.json")
    with open(path, "w") as f:
        json.dump(out, f, separators=(",", ":"))
    print(f"wrote {path}: {len(polygons)} polygons, {len(boxes)} boxes, {len(masks)} masks, "
          f"{len(merges)} merges, {len(strings)} strings, {len(refcocog)} refcocog annotations")


if __name__ == "__main__":
    main()
