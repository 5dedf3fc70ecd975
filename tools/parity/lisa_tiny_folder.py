"""A tiny random LISA checkpoint folder, in the layout LISA's merge_lora_weights_and_save_hf_model.py
writes (LISAForCausalLM.save_pretrained with the vision tower left out, then tokenizer.save_pretrained).

Run:  SAM_SRC=/work/upstream/segment-anything MOBILESAM_SRC=/work/upstream/MobileSAM \
      CLIP_SRC=/work/upstream/CLIP LLAMA2C_SRC=/work/upstream/llama2.c \
      /usr/bin/python3 tools/parity/lisa_tiny_folder.py            # ~3 s
Writes tests/fixtures/lisa/:
  lisa-tiny/     config.json (LLaMA fields + LISA/LLaVA fields), tokenizer.model (the fixture LLaMA
                 tokenizer), added_tokens.json / special_tokens_map.json / tokenizer_config.json
                 ([SEG] = 32000, <im_start> = 32001, <im_end> = 32002), and bf16 weights in two
                 pytorch_model-0000k-of-00002.bin shards + pytorch_model.bin.index.json:
                   model.embed_tokens / model.layers.N.* / model.norm / lm_head   llama2.c tiny, HF names
                   model.mm_projector.{weight,bias}                                nn.Linear(mm_hidden, hidden)
                   model.visual_model.{image_encoder,prompt_encoder,mask_decoder}.*  official SAM (tiny ViT)
                   model.text_hidden_fcs.0.{0,2}.{weight,bias}                     as LISA builds it
  clip-vit-tiny/ the vision tower named by mm_vision_tower, as LISA finds it: an HF CLIPVisionModel
                 folder (config.json + model.safetensors), openai/CLIP's VisionTransformer renamed.
  head_golden.safetensors  LISA's mask head on the folder's weights: SAM embedding of
                 sam/truck_360x240.png, two [SEG] hidden states -> text_hidden_fcs -> sparse prompt
                 (after the empty point/box prompt, as LISA's prompt encoder appends text_embeds) ->
                 official mask decoder (single mask) -> low-res logits, and masks postprocessed to 240x360
                 (packbits, little bit order).
  clip_preprocess_golden.safetensors  CLIPImageProcessor's geometry done with PIL (LISA's images_clip):
                 bicubic resize of the shortest side to S (the long side int(S * long / short)), then a
                 centred S x S crop, on crops of sam/truck_360x240.png (wide, tall, odd, upscaled).
"""
import functools
import json
import os
import sys

import numpy as np
import torch
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from sam_upstream import save_safetensors  # noqa: E402  (writes uint8 too)
from clip_upstream import ClipVisionTransformer, clip_to_hf  # noqa: E402
from sam_goldens import build_vit_tiny, randomize, sa  # noqa: E402  (SAM_SRC, MOBILESAM_SRC)
from llama_goldens import ModelArgs, Transformer, to_hf  # noqa: E402  (LLAMA2C_SRC)

ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
OUT = os.path.join(ROOT, "tests", "fixtures", "lisa")
LISA = os.path.join(OUT, "lisa-tiny")
CLIP = os.path.join(OUT, "clip-vit-tiny")
TOKENIZER = os.path.join(ROOT, "tests", "fixtures", "llama", "tokenizer.model")

BASE_VOCAB = 32000  # the fixture LLaMA tokenizer
ADDED = {"[SEG]": 32000, "<im_start>": 32001, "<im_end>": 32002}  # add_tokens("[SEG]"), then the two special ones
# Width 4 (2 heads of 2) keeps the two 32003-row matrices, and the folder, under 2 MB.
LLAMA = ModelArgs(dim=4, n_layers=2, n_heads=2, n_kv_heads=2, vocab_size=BASE_VOCAB, hidden_dim=8,
                  multiple_of=8, norm_eps=1e-6, max_seq_len=512, dropout=0.0)
CLIP_CFG = dict(input_resolution=32, patch_size=8, width=32, layers=3, heads=4, output_dim=16)
SAM_PROMPT_DIM = 64  # out_dim: text_hidden_fcs ends in SAM's prompt width


def clip_tower(gen):
    vit = ClipVisionTransformer(**CLIP_CFG).eval()
    with torch.no_grad():
        for name, p in vit.named_parameters():
            one = p.dim() == 1 and name.endswith("weight")  # LayerNorm scales
            p.copy_((1.0 if one else 0.0) + 0.2 * torch.randn(p.shape, generator=gen))
    return clip_to_hf(vit.state_dict(), CLIP_CFG["layers"])


def llama(gen):
    torch.manual_seed(7)
    model = Transformer(LLAMA)
    hf = to_hf(model, LLAMA)
    hf["lm_head.weight"] = torch.randn(BASE_VOCAB, LLAMA.dim, generator=gen) * 0.3  # untied, as Llama-2
    with torch.no_grad():
        for k, v in hf.items():
            if k.endswith("norm.weight"):
                v.copy_(1.0 + 0.2 * torch.randn(v.shape, generator=gen))
    # model.resize_token_embeddings(len(tokenizer)): new rows for [SEG], <im_start>, <im_end>
    extra = len(ADDED)
    for k in ("model.embed_tokens.weight", "lm_head.weight"):
        hf[k] = torch.cat([hf[k], 0.02 * torch.randn(extra, LLAMA.dim, generator=gen)])
    return hf


def text_hidden_fcs(gen):
    h = LLAMA.dim
    fc = torch.nn.Sequential(torch.nn.Linear(h, h), torch.nn.ReLU(inplace=True), torch.nn.Linear(h, SAM_PROMPT_DIM), torch.nn.Dropout(0.0))
    fcs = torch.nn.ModuleList([fc])
    with torch.no_grad():
        for p in fcs.parameters():
            p.copy_(torch.randn(p.shape, generator=gen) / (p.shape[-1] ** 0.5))
    return fcs


def lisa_state_dict(gen):
    """Keys in LISAForCausalLM.state_dict() order (LlamaModel, LLaVA's projector, LISA's modules, lm_head)."""
    hf = llama(gen)
    sam = build_vit_tiny()
    randomize(sam, seed=11)
    proj = torch.nn.Linear(CLIP_CFG["width"], LLAMA.dim)
    with torch.no_grad():
        proj.weight.copy_(torch.randn(proj.weight.shape, generator=gen) / CLIP_CFG["width"] ** 0.5)
        proj.bias.copy_(0.1 * torch.randn(proj.bias.shape, generator=gen))
    fcs = text_hidden_fcs(gen)
    sd = {k: v for k, v in hf.items() if k.startswith("model.")}
    sd.update({f"model.mm_projector.{k}": v for k, v in proj.state_dict().items()})
    sd.update({f"model.visual_model.{k}": v for k, v in sam.state_dict().items()})
    sd.update({f"model.text_hidden_fcs.{k}": v for k, v in fcs.state_dict().items()})
    sd["lm_head.weight"] = hf["lm_head.weight"]
    # LISA saves in bf16 (merge script default --precision bf16)
    return {k: v.detach().to(torch.bfloat16).contiguous() for k, v in sd.items()}, sam, fcs


def write_shards(sd):
    """save_pretrained's sharding: keys in order, a new shard once the current one would pass max size."""
    total = sum(t.numel() * t.element_size() for t in sd.values())
    limit, shards, size = total // 2, [[]], 0
    for k, t in sd.items():
        n = t.numel() * t.element_size()
        if shards[-1] and size + n > limit and len(shards) < 2:
            shards.append([])
            size = 0
        shards[-1].append(k)
        size += n
    weight_map = {}
    for i, keys in enumerate(shards):
        name = f"pytorch_model-{i + 1:05d}-of-{len(shards):05d}.bin"
        torch.save({k: sd[k] for k in keys}, os.path.join(LISA, name))
        weight_map.update({k: name for k in keys})
    with open(os.path.join(LISA, "pytorch_model.bin.index.json"), "w") as f:
        json.dump({"metadata": {"total_size": total}, "weight_map": weight_map}, f, indent=2)


def write_config():
    vocab = BASE_VOCAB + len(ADDED)
    config = {
        "_name_or_path": "lisa-tiny", "architectures": ["LISAForCausalLM"],
        "bos_token_id": 1, "eos_token_id": 2, "pad_token_id": 0,
        "freeze_mm_mlp_adapter": True, "hidden_act": "silu", "hidden_size": LLAMA.dim,
        "image_aspect_ratio": "square", "image_grid_pinpoints": None, "initializer_range": 0.02,
        "intermediate_size": LLAMA.hidden_dim, "max_position_embeddings": LLAMA.max_seq_len,
        "mm_hidden_size": CLIP_CFG["width"], "mm_use_im_patch_token": False, "mm_use_im_start_end": True,
        "mm_vision_select_feature": "patch", "mm_vision_select_layer": -2, "mm_vision_tower": "clip-vit-tiny",
        "model_type": "llava", "num_attention_heads": LLAMA.n_heads, "num_hidden_layers": LLAMA.n_layers,
        "num_key_value_heads": LLAMA.n_kv_heads, "out_dim": SAM_PROMPT_DIM, "pretrain_mm_mlp_adapter": None,
        "pretraining_tp": 1, "rms_norm_eps": LLAMA.norm_eps, "rope_scaling": None, "tie_word_embeddings": False,
        "torch_dtype": "bfloat16", "train_mask_decoder": True, "transformers_version": "4.31.0",
        "tune_mm_mlp_adapter": False, "use_cache": False, "use_mm_proj": True, "vision_tower": "clip-vit-tiny",
        "vocab_size": vocab,
    }
    with open(os.path.join(LISA, "config.json"), "w") as f:
        json.dump(config, f, indent=2, sort_keys=True)


def write_tokenizer():
    with open(TOKENIZER, "rb") as src, open(os.path.join(LISA, "tokenizer.model"), "wb") as dst:
        dst.write(src.read())
    with open(os.path.join(LISA, "added_tokens.json"), "w") as f:
        json.dump(ADDED, f, indent=2, sort_keys=True)
    tok = lambda s: {"__type": "AddedToken", "content": s, "lstrip": False, "normalized": False, "rstrip": False, "single_word": False}  # noqa: E731
    with open(os.path.join(LISA, "special_tokens_map.json"), "w") as f:
        json.dump({"bos_token": tok("<s>"), "eos_token": tok("</s>"), "pad_token": "<unk>", "unk_token": tok("<unk>")}, f, indent=2)
    with open(os.path.join(LISA, "tokenizer_config.json"), "w") as f:
        json.dump({"add_bos_token": True, "add_eos_token": False, "bos_token": tok("<s>"), "clean_up_tokenization_spaces": False,
                   "eos_token": tok("</s>"), "legacy": False, "model_max_length": 512, "pad_token": None, "padding_side": "right",
                   "sp_model_kwargs": {}, "tokenizer_class": "LlamaTokenizer", "unk_token": tok("<unk>")}, f, indent=2)


def write_clip(hf):
    os.makedirs(CLIP, exist_ok=True)
    with open(os.path.join(CLIP, "config.json"), "w") as f:
        json.dump({"architectures": ["CLIPVisionModel"], "model_type": "clip_vision_model", "hidden_act": "quick_gelu",
                   "hidden_size": CLIP_CFG["width"], "image_size": CLIP_CFG["input_resolution"], "patch_size": CLIP_CFG["patch_size"],
                   "intermediate_size": 4 * CLIP_CFG["width"], "num_attention_heads": CLIP_CFG["heads"],
                   "num_hidden_layers": CLIP_CFG["layers"], "layer_norm_eps": 1e-5, "projection_dim": CLIP_CFG["output_dim"],
                   "num_channels": 3, "torch_dtype": "float32"}, f, indent=2, sort_keys=True)
    save_safetensors(os.path.join(CLIP, "model.safetensors"), hf, {"format": "pt"})


def head_golden(sd, sam, fcs, gen):
    """LISA's [SEG] → mask path on the folder's (bf16-rounded) weights, in fp32."""
    with torch.no_grad():
        sam.load_state_dict({k[len("model.visual_model."):]: v.float() for k, v in sd.items() if k.startswith("model.visual_model.")})
        fcs.load_state_dict({k[len("model.text_hidden_fcs."):]: v.float() for k, v in sd.items() if k.startswith("model.text_hidden_fcs.")})
        sam.eval()
        fcs.eval()
        img = np.array(Image.open(os.path.join(ROOT, "tests", "fixtures", "sam", "truck_360x240.png")).convert("RGB"))
        resized = sa.utils.transforms.ResizeLongestSide(sam.image_encoder.img_size).apply_image(img)
        x = torch.as_tensor(resized).permute(2, 0, 1).contiguous()[None].float()
        embedding = sam.image_encoder(sam.preprocess(x))
        seg_hidden = torch.randn(2, LLAMA.dim, generator=gen)
        pred = fcs[0](seg_hidden)
        low_res, masks = [], []
        for i in range(pred.shape[0]):
            # LISA's PromptEncoder(points=None, boxes=None, masks=None, text_embeds=pred[i][None, None]):
            # the empty sparse prompt with text_embeds appended; dense = no_mask_embed.
            sparse, dense = sam.prompt_encoder(points=None, boxes=None, masks=None)
            sparse = torch.cat([sparse, pred[i][None, None]], dim=1)
            low, _ = sam.mask_decoder(image_embeddings=embedding, image_pe=sam.prompt_encoder.get_dense_pe(),
                                      sparse_prompt_embeddings=sparse, dense_prompt_embeddings=dense, multimask_output=False)
            low_res.append(low[:, 0])
            masks.append(sam.postprocess_masks(low, input_size=resized.shape[:2], original_size=img.shape[:2])[:, 0] > 0)
        masks = torch.cat(masks)
        # Final masks as little-endian packbits of the flattened booleans (the logits would be 0.7 MB).
        packed = torch.from_numpy(np.packbits(masks.numpy().reshape(-1), bitorder="little"))
        save_safetensors(os.path.join(OUT, "head_golden.safetensors"), {
            "seg_hidden": seg_hidden, "embedding": embedding, "low_res_logits": torch.cat(low_res),
            "masks_packed": packed, "masks_shape": torch.tensor(list(masks.shape))},
            {"source": "official segment-anything modules with the lisa-tiny weights", "image": "sam/truck_360x240.png"})


# (name, crop box (left, top, right, bottom) of the truck photo, S)
CLIP_CASES = [("wide", (0, 0, 360, 240), 224), ("tall", (100, 20, 160, 110), 32),
              ("odd", (13, 7, 314, 224), 100), ("up", (200, 100, 240, 130), 64)]


def clip_preprocess_golden():
    truck = Image.open(os.path.join(ROOT, "tests", "fixtures", "sam", "truck_360x240.png")).convert("RGB")
    out = {}
    for name, box, size in CLIP_CASES:
        img = truck.crop(box)
        w, h = img.size
        short, long = (w, h) if w <= h else (h, w)
        new_long = int(size * long / short)
        img = img.resize((size, new_long) if w <= h else (new_long, size), Image.BICUBIC)
        arr = np.array(img)
        top, left = (arr.shape[0] - size) // 2, (arr.shape[1] - size) // 2
        out[name] = torch.from_numpy(arr[top:top + size, left:left + size].copy())
    save_safetensors(os.path.join(OUT, "clip_preprocess_golden.safetensors"), out,
                     {"cases": json.dumps([[n, list(b), s] for n, b, s in CLIP_CASES]), "image": "sam/truck_360x240.png"})


def main():
    os.makedirs(LISA, exist_ok=True)
    gen = torch.Generator().manual_seed(2024)
    write_clip(clip_tower(gen))
    sd, sam, fcs = lisa_state_dict(gen)
    write_shards(sd)
    write_config()
    write_tokenizer()
    head_golden(sd, sam, fcs, gen)
    clip_preprocess_golden()
    for d in (LISA, CLIP, OUT):
        for f in sorted(os.listdir(d)):
            p = os.path.join(d, f)
            if os.path.isfile(p):
                print(f"{os.path.getsize(p):>9}  {os.path.relpath(p, OUT)}")
    print(len(sd), "tensors,", sum(t.numel() for t in sd.values()), "parameters")


if __name__ == "__main__":
    main()
