#!/usr/bin/env python3
"""Reference answers from data-selection 1.0.3 (p-lambda/dsir, HashedNgramDSIR) with nltk 3.10.4 for the Swift
Selection tests; offline.

The texts are written to temporary JSONL files ({"text": ..., "i": index}, one raw file, one target file) and
run through the reference as a user would: `HashedNgramDSIR(..., num_proc=1)`, `fit_importance_estimator`,
`compute_importance_weights`, then `resample(top_k=True)`. With one raw file and one process there is one
virtual shard, so the per-document log weights are `log_importance_weights/0.npy` and the per-document lengths
(the `min_example_length` test) `perexample_metadata/0.npy`, both in document order; the chosen documents are
read back from the resampled file by their "i" field.

stdin: one JSON object with
  "raw": [str, ...], "target": [str, ...]    the documents, or
  "real_bytes": n                            raw = reference_corpus.real_texts(n), target = the raw documents
                                             with kana (Japanese), both returned as "raw" and "target"
  optional "num_buckets" (10000), "ngrams" (2), "min_example_length" (100), "num_tokens_to_fit" ("auto", "all"
  or an int), "top_k": k (0: no resampling), "tokenize": [str, ...]
  or "classes": true -> "word_space": [[start, end, class], ...] runs over all scalars (class 1: \\w, 0: \\s,
                        2: other, as the WordPunct pattern compiled by nltk.redos sees them), "lower": {cp: str}
                        for each scalar but U+03A3 whose str.lower() differs, "unidata_version"
stdout: one JSON object: "log_weights", "lengths", "top_k" (indices, ascending), "words" (WordPunct tokens of
  each "tokenize" text after lower()), "versions".
"""
import json
import os
import sys
import tempfile
import unicodedata

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))


def versions():
    import importlib.metadata as md

    return {name: md.version(name) for name in ("data-selection", "nltk", "regex", "numpy")}


def classes():
    import regex
    from nltk import redos

    word = redos.compile(r"\w", regex.UNICODE | regex.MULTILINE | regex.DOTALL)
    space = redos.compile(r"\s", regex.UNICODE | regex.MULTILINE | regex.DOTALL)
    runs = []
    for cp in range(0x110000):
        if 0xD800 <= cp <= 0xDFFF:
            continue
        ch = chr(cp)
        cls = 1 if word.match(ch) else 0 if space.match(ch) else 2
        if runs and runs[-1][2] == cls and runs[-1][1] == cp:
            runs[-1][1] = cp + 1
        else:
            runs.append([cp, cp + 1, cls])
    lower = {}
    for cp in range(0x110000):
        if 0xD800 <= cp <= 0xDFFF or cp == 0x3A3:
            continue
        ch = chr(cp)
        if ch.lower() != ch:
            lower[str(cp)] = ch.lower()
    return {"word_space": runs, "lower": lower, "unidata_version": unicodedata.unidata_version}


def has_kana(text):
    return any(0x3041 <= ord(c) <= 0x30FF for c in text)


def run_dsir(request, raw, target):
    import numpy as np
    from data_selection import HashedNgramDSIR

    fit = request.get("num_tokens_to_fit", "auto")
    with tempfile.TemporaryDirectory() as tmp:
        paths = {}
        for name, texts in (("raw", raw), ("target", target)):
            paths[name] = os.path.join(tmp, f"{name}.jsonl")
            with open(paths[name], "w", encoding="utf-8") as handle:
                for i, text in enumerate(texts):
                    handle.write(json.dumps({"text": text, "i": i}) + "\n")
        cache = os.path.join(tmp, "cache")
        dsir = HashedNgramDSIR(
            [paths["raw"]], [paths["target"]], cache_dir=cache, num_proc=1,
            ngrams=request.get("ngrams", 2), num_buckets=request.get("num_buckets", 10000),
            min_example_length=request.get("min_example_length", 100))
        dsir.fit_importance_estimator(num_tokens_to_fit=fit)
        dsir.compute_importance_weights()
        weights = np.load(os.path.join(cache, "log_importance_weights", "0.npy"))
        lengths = np.load(os.path.join(cache, "perexample_metadata", "0.npy"))
        answer = {"log_weights": [float(w) for w in weights], "lengths": [int(n) for n in lengths]}
        k = request.get("top_k", 0)
        if k:
            out = os.path.join(tmp, "out")
            dsir.resample(out, num_to_sample=k, cache_dir=os.path.join(tmp, "resample-cache"), top_k=True)
            chosen = []
            for name in sorted(os.listdir(out)):
                with open(os.path.join(out, name), encoding="utf-8") as handle:
                    chosen.extend(json.loads(line)["i"] for line in handle if line.strip())
            answer["top_k"] = sorted(chosen)
    return answer


def main():
    request = json.load(sys.stdin)
    if request.get("classes"):
        json.dump(classes(), sys.stdout)
        return
    answer = {"versions": versions()}
    if "real_bytes" in request:
        from reference_corpus import real_texts

        raw = real_texts(request["real_bytes"])
        target = [t for t in raw if has_kana(t)]
        answer["raw"], answer["target"] = raw, target
    else:
        raw, target = request.get("raw", []), request.get("target", [])
    if "tokenize" in request:
        from nltk.tokenize import WordPunctTokenizer

        tokenizer = WordPunctTokenizer()
        answer["words"] = [tokenizer.tokenize(t.lower()) for t in request["tokenize"]]
    if raw and target:
        answer.update(run_dsir(request, raw, target))
    json.dump(answer, sys.stdout)


if __name__ == "__main__":
    main()
