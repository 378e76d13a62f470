#!/usr/bin/env python3
"""Extracts the rule data of datatrove 0.10.1's English word tokenizer into a JSON file (the path given as the
first argument): spaCy 3.8.18's blank English tokenizer (prefix / suffix / infix / URL patterns, rewritten from
Python `re` syntax to PCRE2: \\uXXXX -> \\x{XXXX}, no inline (?u); the tokenizer exceptions as string -> token
texts), the sentencizer's punctuation, and datatrove's PUNCTUATION_SET and TERMINAL_PUNCTUATION.

The data belongs to spaCy and datatrove (MIT and Apache-2.0) and is not committed: scripts/word-rules.sh runs
this once with the pinned packages, and ptk reads the file at run time (Cleaning's WordRules).
"""
import json
import re
import sys

import spacy
from datatrove.utils.text import PUNCTUATION_SET, TERMINAL_PUNCTUATION
from spacy.attrs import ORTH
from spacy.pipeline.sentencizer import Sentencizer


def pcre(pattern):
    pattern = pattern.replace("(?u)", "")
    pattern = re.sub(r"\\U([0-9A-Fa-f]{8})", lambda m: "\\x{%X}" % int(m.group(1), 16), pattern)
    return re.sub(r"\\u([0-9A-Fa-f]{4})", lambda m: "\\x{%X}" % int(m.group(1), 16), pattern)


def main():
    tokenizer = spacy.blank("en").tokenizer
    assert tokenizer.token_match is None
    specials = []
    for key in sorted(tokenizer.rules):
        orths = [t.get("ORTH", t.get(ORTH)) for t in tokenizer.rules[key]]
        assert "".join(orths) == key
        specials.append([key, orths])
    rules = {
        "spacy": spacy.__version__,
        "prefix": pcre(tokenizer.prefix_search.__self__.pattern),
        "suffix": pcre(tokenizer.suffix_search.__self__.pattern),
        "infix": pcre(tokenizer.infix_finditer.__self__.pattern),
        "url": pcre(tokenizer.url_match.__self__.pattern),
        "specials": specials,
        "sentence_punctuation": sorted(Sentencizer.default_punct_chars),
        "punctuation": sorted(ord(c) for c in PUNCTUATION_SET),
        "terminal_punctuation": sorted(ord(c) for c in TERMINAL_PUNCTUATION),
    }
    with open(sys.argv[1], "w", encoding="utf-8") as handle:
        json.dump(rules, handle, ensure_ascii=False)
    print(sys.argv[1], file=sys.stderr)


if __name__ == "__main__":
    main()
