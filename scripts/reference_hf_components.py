#!/usr/bin/env python3
"""Reference answers from Hugging Face tokenizers 0.23.3 for single tokenizer.json components; offline.

stdin: one JSON object with any of
  "split": {"pattern": str, "regex": bool, "behavior": str, "invert": bool, "texts": [str, ...]}
      -> "split": [[piece, ...], ...]  (pre_tokenizers.Split(...).pre_tokenize_str, pieces only)
  "added": {"model": str, "tokens": [{"content", "special", "lstrip", "rstrip", "single_word", "normalized"}],
            "texts": [str, ...], "save_to": path}
      -> "added": {"path": the tokenizer.json with those tokens added, "ids": [[id, ...], ...]}
         (the model's fixture from reference_hf.py; encode(add_special_tokens=False), encode_special_tokens=True)
stdout: one JSON object with the answers.
"""
import json
import sys

import tokenizers
from tokenizers import AddedToken, Regex
from tokenizers.pre_tokenizers import Split

import reference_hf
import reference_tokenizer


def main():
    request = json.load(sys.stdin)
    answer = {}
    if "split" in request:
        spec = request["split"]
        pattern = Regex(spec["pattern"]) if spec["regex"] else spec["pattern"]
        behavior = {"Removed": "removed", "Isolated": "isolated", "MergedWithPrevious": "merged_with_previous",
                    "MergedWithNext": "merged_with_next", "Contiguous": "contiguous"}[spec["behavior"]]
        split = Split(pattern, behavior, invert=spec["invert"])
        answer["split"] = [[piece for piece, _ in split.pre_tokenize_str(text)] for text in spec["texts"]]
    if "added" in request:
        spec = request["added"]
        tok = tokenizers.Tokenizer.from_file(reference_hf.fixture(spec["model"]))
        tok.add_tokens([AddedToken(t["content"], single_word=t["single_word"], lstrip=t["lstrip"],
                                   rstrip=t["rstrip"], normalized=t["normalized"], special=t["special"])
                        for t in spec["tokens"]])
        tok.save(spec["save_to"])
        tok = reference_tokenizer.load_as_ptk(spec["save_to"])
        answer["added"] = {"path": spec["save_to"],
                           "ids": [tok.encode(t, add_special_tokens=False).ids for t in spec["texts"]]}
    json.dump(answer, sys.stdout)


if __name__ == "__main__":
    main()
