"""Goldens for the C# LLaMA SentencePiece tokenizer: ids from the reference `sentencepiece`
library (Debian python3-sentencepiece) for strings with unicode, digits and leading spaces.

Usage: /usr/bin/python3 tools/parity/llama_tokenizer_goldens.py [tokenizer.model] [out.json]
"""
import json
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


def main():
    sp = spm.SentencePieceProcessor(model_file=MODEL)
    rows = [{"text": t, "ids": [sp.bos_id()] + sp.encode(t)} for t in TEXTS]
    assert rows[0]["ids"] == [1, 15043, 3186]
    with open(OUT, "w", encoding="utf-8") as f:
        json.dump({"model": "llama2 tokenizer.model", "bos": sp.bos_id(), "eos": sp.eos_id(),
                   "vocab_size": sp.vocab_size(), "cases": rows}, f, ensure_ascii=False, indent=1)
    print(len(rows), "cases")


if __name__ == "__main__":
    main()
