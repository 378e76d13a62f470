#!/usr/bin/env python3
"""Reference byte-level BPE training with Hugging Face tokenizers 0.23.3 (BpeTrainer) for the Swift
TokenizerTraining tests and `ptk bench train-tokenizer`; offline, nothing is downloaded.

A tokenizer is built as `ptk train-tokenizer` builds it: `Tokenizer(BPE())`, no normalizer, the pre-tokenizer of
the pattern ("gpt2": ByteLevel(add_prefix_space=False, use_regex=True); "llama3": Sequence[Split(Regex(Llama 3's
pattern), "isolated"), ByteLevel(add_prefix_space=False, use_regex=False)]), decoder ByteLevel, post-processor
ByteLevel(trim_offsets=False), trained by `train_from_iterator` with
BpeTrainer(vocab_size, min_frequency, special_tokens, initial_alphabet=ByteLevel.alphabet(), show_progress=False).

stdin: one JSON object with
  "texts": [str, ...]       the training documents, or
  "real_bytes": n           reference_corpus.real_texts(n): every document whose index % 10 != 9 trains, the
                            others are held out (both lists are answered as "train_texts" and "held_out_texts"), or
  "files": [path, ...]      each file (UTF-8) is one document, as ptk reads a .txt input;
  "configs": [{"pattern": "gpt2"|"llama3", "vocab_size": n, "min_frequency": n, "special_tokens": [...]}, ...]
  or "jobs": [{"texts": [str, ...], "config": {...}}, ...] -> "job_results": [{"vocab", "merges"}, ...]
  (many small trainings in one process), or, instead of training,
  "load": path, "encode": [str, ...]  -> "ids": [[id, ...], ...] (the file loaded as ptk encodes, see
                                         reference_tokenizer.load_as_ptk), with optional
  "token_ids": [str, ...]             -> "token_ids": [id or null, ...] (Tokenizer.token_to_id of each, added
                                         tokens included) and "vocab_size" (get_vocab_size(with_added_tokens=True))
stdout: one JSON object: "results": [{"vocab": {token: id}, "merges": [[a, b], ...], "json": to_str(),
"seconds": training time}, ...] in the order of "configs".
"""
import json
import sys
import time

from tokenizers import Regex, Tokenizer, decoders, models, pre_tokenizers, processors, trainers

import reference_corpus
import reference_tokenizer

LLAMA3 = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*"
          r"|\s*[\r\n]+|\s+(?!\S)|\s+")


def build(pattern):
    tok = Tokenizer(models.BPE())
    if pattern == "gpt2":
        tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)
    elif pattern == "llama3":
        tok.pre_tokenizer = pre_tokenizers.Sequence([
            pre_tokenizers.Split(Regex(LLAMA3), behavior="isolated", invert=False),
            pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False),
        ])
    else:
        raise SystemExit(f"unknown pattern {pattern!r}")
    tok.decoder = decoders.ByteLevel()
    tok.post_processor = processors.ByteLevel(trim_offsets=False)
    return tok


def train(texts, config):
    tok = build(config["pattern"])
    trainer = trainers.BpeTrainer(
        vocab_size=config["vocab_size"], min_frequency=config.get("min_frequency", 0),
        special_tokens=config.get("special_tokens", []), initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False)
    start = time.perf_counter()
    tok.train_from_iterator(texts, trainer=trainer, length=len(texts))
    seconds = time.perf_counter() - start
    text = tok.to_str()
    model = json.loads(text)["model"]
    return {"vocab": model["vocab"], "merges": model["merges"], "json": text, "seconds": seconds}


def main():
    request = json.load(sys.stdin)
    if "load" in request:
        tok = reference_tokenizer.load_as_ptk(request["load"])
        ids = [e.ids for e in tok.encode_batch(request["encode"], add_special_tokens=False)]
        answer = {"ids": ids}
        if "token_ids" in request:
            answer["token_ids"] = [tok.token_to_id(t) for t in request["token_ids"]]
            answer["vocab_size"] = tok.get_vocab_size(with_added_tokens=True)
        json.dump(answer, sys.stdout)
        return
    if "jobs" in request:
        results = []
        for job in request["jobs"]:
            result = train(job["texts"], job["config"])
            results.append({"vocab": result["vocab"], "merges": result["merges"]})
        json.dump({"job_results": results}, sys.stdout, ensure_ascii=False)
        return
    answer = {}
    if "texts" in request:
        texts = request["texts"]
    elif "real_bytes" in request:
        documents = reference_corpus.real_texts(request["real_bytes"])
        texts = [t for i, t in enumerate(documents) if i % 10 != 9]
        answer["train_texts"] = texts
        answer["held_out_texts"] = [t for i, t in enumerate(documents) if i % 10 == 9]
    else:
        texts = [reference_corpus.read(path) for path in request["files"]]
    answer["results"] = [train(texts, config) for config in request["configs"]]
    json.dump(answer, sys.stdout, ensure_ascii=False)


if __name__ == "__main__":
    main()
