"""Times the official SAM vit_b (random full-size weights) for bench/ and writes what the C# bench
compares against.

Run:  SAM_SRC=... MOBILESAM_SRC=... /usr/bin/python3 tools/parity/sam_bench.py OUT_DIR [--threads N]
Writes into OUT_DIR (created; the checkpoint is reused when present):
  sam_vit_b_random.pth   official vit_b state dict, random weights (seed 0), ~360 MB
  official.json          wall and process CPU timings (s) of the image encoder at 1024^2 and of the decoder for
                         64 point prompts (prompt encoder + mask decoder, one batch, multimask)
  official.safetensors   embedding, prompts (in the 1024 frame), IoU predictions, low-res logits
"""
import json
import os
import sys
import time

import numpy as np
import torch
from PIL import Image

from sam_upstream import import_upstream, save_safetensors

sa, _ = import_upstream()
out = sys.argv[1]
threads = int(sys.argv[sys.argv.index("--threads") + 1]) if "--threads" in sys.argv else torch.get_num_threads()
torch.set_num_threads(threads)
os.makedirs(out, exist_ok=True)
root = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))

ckpt = os.path.join(out, "sam_vit_b_random.pth")
torch.manual_seed(0)
sam = sa.sam_model_registry["vit_b"]()
if os.path.exists(ckpt):
    sam.load_state_dict(torch.load(ckpt))
else:
    g = torch.Generator().manual_seed(0)
    with torch.no_grad():  # non-trivial values for what the init leaves at zero (relative positions)
        for name, t in sam.state_dict().items():
            if name.endswith(("rel_pos_h", "rel_pos_w", "pos_embed")):
                t.copy_(0.02 * torch.randn(t.shape, generator=g))
    torch.save(sam.state_dict(), ckpt + ".tmp")
    os.replace(ckpt + ".tmp", ckpt)
sam.eval()

img = np.array(Image.open(os.path.join(root, "tests", "fixtures", "images", "truck.jpg")).convert("RGB"))
predictor = sa.SamPredictor(sam)
x = torch.as_tensor(predictor.transform.apply_image(img)).permute(2, 0, 1)[None].contiguous()
with torch.no_grad():
    inp = sam.preprocess(x.float())
    t0, c0 = time.perf_counter(), time.process_time()
    emb = sam.image_encoder(inp)
    t_enc, c_enc = time.perf_counter() - t0, time.process_time() - c0

    predictor.set_torch_image(x, img.shape[:2])  # (encodes again; only to set the predictor state)
    g = torch.Generator().manual_seed(1)
    pts = torch.rand(64, 1, 2, generator=g) * torch.tensor([1024.0, 683.0])
    labels = torch.ones(64, 1, dtype=torch.int)
    t0, c0 = time.perf_counter(), time.process_time()
    sparse, dense = sam.prompt_encoder(points=(pts, labels), boxes=None, masks=None)
    low, iou = sam.mask_decoder(image_embeddings=emb, image_pe=sam.prompt_encoder.get_dense_pe(),
                                sparse_prompt_embeddings=sparse, dense_prompt_embeddings=dense, multimask_output=True)
    t_dec, c_dec = time.perf_counter() - t0, time.process_time() - c0

res = {"threads": threads, "torch": torch.__version__, "image": [img.shape[1], img.shape[0]],
       "encoder_s": t_enc, "decoder_64_prompts_s": t_dec, "encoder_cpu_s": c_enc, "decoder_64_prompts_cpu_s": c_dec,
       "load_average": os.getloadavg()[0],
       "openblas_threads": os.environ.get("OPENBLAS_NUM_THREADS")}
save_safetensors(os.path.join(out, "official.safetensors"),
                 {"embedding": emb, "points": pts, "labels": labels.long(), "iou": iou, "low_res_logits": low})
with open(os.path.join(out, "official.json"), "w") as f:
    json.dump(res, f, indent=1)
print(json.dumps(res))
