#!/usr/bin/env python3
"""Reference ids from Hugging Face tokenizers 0.23.3 for a tokenizer.json written by `ptk adapt-tokenizer`.

stdin: one JSON object with any of
  "info": true                  -> "qwen": path of the Qwen2.5 tokenizer.json fixture (see reference_hf.py),
                                   "tokenizers_version"
  "path": str, "texts": [...]   -> "ids": [[id, ...], ...] (encode(text, add_special_tokens=False), special-token
                                   strings as text), "tokens": [[str, ...], ...]
stdout: one JSON object with the answers.
"""
import json
import sys

import tokenizers

import reference_hf
import reference_tokenizer


def main():
    request = json.load(sys.stdin)
    answer = {}
    if request.get("info"):
        answer["qwen"] = reference_hf.fixture("qwen-2.5")
        answer["tokenizers_version"] = tokenizers.__version__
    if "path" in request:
        tok = reference_tokenizer.load_as_ptk(request["path"])
        encodings = [tok.encode(t, add_special_tokens=False) for t in request.get("texts", [])]
        answer["ids"] = [e.ids for e in encodings]
        answer["tokens"] = [e.tokens for e in encodings]
    json.dump(answer, sys.stdout)


if __name__ == "__main__":
    main()
