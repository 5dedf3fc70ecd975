"""Goldens for the C# LLaMA SentencePiece tokenizer: ids from the reference `sentencepiece`
library (Debian python3-sentencepiece) for strings with unicode, digits and leading spaces.

Added tokens follow what LISA's stack does with the slow HF LlamaTokenizer (transformers 4.31,
legacy mode): text is split at added tokens and every piece is encoded on its own (each gets
SentencePiece's dummy "▁" prefix). "[SEG]" comes from tokenizer.add_tokens, whose default in that
version strips whitespace on both sides; "<image>" is split out by LLaVA's tokenizer_image_token
and "<im_start>"/"<im_end>" are special AddedTokens, none of which strip.

Usage: /usr/bin/python3 tools/parity/llama_tokenizer_goldens.py [tokenizer.model] [out.json]
"""
import json
import random
import re
import os
import sys

import sentencepiece as spm

HERE = os.path.dirname(__file__)
MODEL = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "../../tests/fixtures/llama/tokenizer.model")
OUT = sys.argv[2] if len(sys.argv) > 2 else os.path.join(HERE, "../../tests/fixtures/llama/tokenizer_goldens.json")

TEXTS = [
    "Hello world", "hello world", " Hello world", "  two leading spaces", "trailing space ",
    "What is the dog on the left in this image? Please output segmentation mask.",
    "Sure, it is [SEG].", "USER: <image>\nWhat is it?", "ASSISTANT:", "line one\nline two\n\nline four",
    "tabs\tand\tmore", "1234567890", "3.14159 and 2,718", "year 2024, room 101B", "0", "007 agents",
    "naïve café résumé", "Grüße aus München", "日本語のテキスト", "中文分词测试", "Привет, мир!",
    "emoji 😀 and 🐕‍🦺", "κόσμε", "عربى", "a", "", " ", "...", "!!!???", "A dog's tail; a cat's whiskers.",
    "The man in the red shirt, third from the left", "camelCaseIdentifier snake_case_identifier",
    "http://example.com/path?q=1", "<s> is not special in plain text </s>", "x" * 40,
    "the the the the", "Ünïcödé ÀÉÎÕÜ", "₀₁₂ ½ ∑∫√", "ｆｕｌｌｗｉｄｔｈ", "multiple   inner   spaces",
]


# token -> (id, strips adjacent whitespace)
SPECIAL = {"[SEG]": (32000, True), "<image>": (32001, False), "<im_start>": (32002, False), "<im_end>": (32003, False)}
SPECIAL_TEXTS = [
    "Sure, it is [SEG].", "[SEG]", "It is [SEG] and [SEG] .", "[SEG][SEG]",
    "<image>\nWhat is the dog in this image? Please output segmentation mask.",
    "USER: <im_start><image><im_end>\nWhat is it? ASSISTANT: Sure, [SEG].", "no special tokens here",
    "  [SEG]  spaced  ", "<image>", "a<image>b",
]


def encode_with_special(sp, text):
    pattern = "(" + "|".join(re.escape(t) for t in SPECIAL) + ")"
    parts = [p for p in re.split(pattern, text)]
    for i, p in enumerate(parts):
        if p in SPECIAL and SPECIAL[p][1]:
            if i > 0 and parts[i - 1] not in SPECIAL:
                parts[i - 1] = parts[i - 1].rstrip()
            if i + 1 < len(parts) and parts[i + 1] not in SPECIAL:
                parts[i + 1] = parts[i + 1].lstrip()
    ids = [sp.bos_id()]
    for p in parts:
        if p in SPECIAL:
            ids.append(SPECIAL[p][0])
        elif p:
            ids.extend(sp.encode(p))
    return ids


def fuzz_texts(count, seed=8):
    """Deterministic mixed strings: words, runs of one character (BPE ties), digits, accents, CJK, emoji, spacing."""
    rnd = random.Random(seed)
    words = ["the", "dog", "left", "segmentation", "Mask", "x", "aa", "zzz", "café", "naïve", "東京", "猫", "😀",
             "Привет", "123", "0.5", "'s", "-", "\n", "\t", "  ", "ab" * 3, "e" * 7, "ß", "İ", "ﬁ", "ǅ", "١٢٣"]
    out = []
    for _ in range(count):
        n = rnd.randint(1, 8)
        sep = rnd.choice([" ", " ", "", "  ", "\n"])
        t = sep.join(rnd.choice(words) if rnd.random() < 0.8 else rnd.choice("abcxyz.!?") * rnd.randint(2, 30) for _ in range(n))
        if rnd.random() < 0.2:
            t = " " + t
        out.append(t)
    return out


def main():
    sp = spm.SentencePieceProcessor(model_file=MODEL)
    rows = [{"text": t, "ids": [sp.bos_id()] + sp.encode(t)} for t in TEXTS + fuzz_texts(300)]
    special_rows = [{"text": t, "ids": encode_with_special(sp, t)} for t in SPECIAL_TEXTS]
    assert rows[0]["ids"] == [1, 15043, 3186]
    with open(OUT, "w", encoding="utf-8") as f:
        json.dump({"model": "llama2 tokenizer.model", "bos": sp.bos_id(), "eos": sp.eos_id(),
                   "vocab_size": sp.vocab_size(), "cases": rows,
                   "special_tokens": [{"token": k, "id": v[0], "strip": v[1]} for k, v in SPECIAL.items()],
                   "special_cases": special_rows}, f, ensure_ascii=False, separators=(",", ":"))
    print(len(rows), "cases")


if __name__ == "__main__":
    main()
