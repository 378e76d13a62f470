#!/usr/bin/env python3
"""Reference ids and decodings from sentencepiece 0.2.3 for the Swift SentencePieceModel tests; offline.

The .model files are the ones that fixture packages ship (installed by scripts/reference-venv.sh without their
dependencies): mistral-common's data/tokenizer.model.v1 and mistral_instruct_tokenizer_240323.model.v3 (BPE with
byte fallback; v3 has user-defined and many control pieces) and ai21-tokenizer's j2-tokenizer.model (Unigram with
the nmt_nfkc charsmap and byte fallback). Any other .model path may be given too (the tests write variants).
Encoding is `sp.encode(text)` (ids, no BOS/EOS); decoding is `sp.decode(ids)`.

stdin: one JSON object with any of
  "info": true                  -> "fixtures": {name: path}, "sentencepiece_version"
  "model": name or path, "texts": [...]
                                -> "ids": [[id, ...], ...], "decoded": [sp.decode(ids), ...],
                                   "normalized": [sp.normalize(text), ...]
  "model": ..., "stdlib_bytes": n
                                -> "stdlib_texts": [str, ...] (whole .py files of the Python standard library,
                                   sorted by path, about n bytes in all), "stdlib_ids", "stdlib_decoded"
stdout: one JSON object with the answers.
"""
import json
import os
import sys

import sentencepiece

import reference_corpus


def fixtures():
    import ai21_tokenizer
    import mistral_common

    mistral = os.path.join(os.path.dirname(mistral_common.__file__), "data")
    ai21 = os.path.join(os.path.dirname(ai21_tokenizer.__file__), "resources", "j2-tokenizer")
    found = {
        "mistral-v1": os.path.join(mistral, "tokenizer.model.v1"),
        "mistral-v3": os.path.join(mistral, "mistral_instruct_tokenizer_240323.model.v3"),
        "ai21-j2": os.path.join(ai21, "j2-tokenizer.model"),
    }
    for name, path in found.items():
        if not os.path.exists(path):
            sys.exit(f"{path} not found for {name}: run scripts/reference-venv.sh")
    return found


def main():
    request = json.load(sys.stdin)
    answer = {}
    if request.get("info"):
        answer["fixtures"] = fixtures()
        answer["sentencepiece_version"] = sentencepiece.__version__
    if "model" in request:
        path = fixtures().get(request["model"], request["model"])
        sp = sentencepiece.SentencePieceProcessor(model_file=path)
        if "texts" in request:
            ids = [sp.encode(t) for t in request["texts"]]
            answer["ids"] = ids
            answer["decoded"] = [sp.decode(i) for i in ids]
            answer["normalized"] = [sp.normalize(t) for t in request["texts"]]
        if "stdlib_bytes" in request:
            texts = reference_corpus.stdlib_texts(int(request["stdlib_bytes"]))
            ids = [sp.encode(t) for t in texts]
            answer["stdlib_texts"] = texts
            answer["stdlib_ids"] = ids
            answer["stdlib_decoded"] = [sp.decode(i) for i in ids]
    json.dump(answer, sys.stdout)


if __name__ == "__main__":
    main()
