#!/usr/bin/env python3
"""Reference pre-token splits for PretrainKit's hand-written scanners (Sources/Tokenization/PreTokenizer.swift).

Reads one JSON request on stdin and prints one JSON object on stdout:

    request:  {"patterns": ["cl100k", ...], "texts": ["Hello world", ...]}
         or:  {"patterns": [...], "corpus": 400}           (the script picks 400 real documents itself)
         opt: "engine": "regex" (default: the `regex` module's finditer) or "tokenizers" (Hugging Face
              tokenizers' Split pre-tokenizer, i.e. the Rust Oniguruma engine; llama3 and qwen2 only)
    output:   {"regex_version": "...", "python_unicodedata": "...",
               "regexes": {"cl100k": "<the pattern used>", ...},
               "texts": [...]                               (corpus mode only)
               "splits": {"cl100k": [[s0, e0, s1, e1, ...], ...], ...}}

Each split is the successive matches' UTF-8 byte offsets, flattened; a gap between matches (which these patterns
cannot produce) shows as a missing range, so the caller can compare and check coverage.

Where the patterns come from:
- gpt2 (r50k_base), cl100k (cl100k_base), o200k (o200k_base): the installed tiktoken's
  tiktoken_ext/openai_public.py, read by calling its constructors with the vocabulary loader stubbed out;
- llama3, qwen2: the Split pattern of their tokenizer.json files, written out below.

Adjustments to reproduce the Rust engines (tiktoken: fancy-regex; tokenizers: Oniguruma): none are needed.
- `$` in `\\s++$` (gpt2, cl100k): Python's `$` also matches before a final "\\n", Rust's only at the end of the
  text. It cannot make a difference here: the possessive `\\s++` has already consumed every white-space scalar,
  so the next scalar is not "\\n"; `$` can only succeed at the end of the text. (Checked: the same splits with
  `\\Z` in its place.)
- `\\s`: the `regex` module's `\\s` is the Unicode White_Space property (no U+001C-U+001F), as in Rust's regex
  and in Oniguruma; Python's `re` and `str.isspace` would add U+001C-U+001F.
- `(?i:...)`: simple case folding in all three engines, so `'S` and `'\\u017f` (long s) are contractions.
"""

from __future__ import annotations

import json
import os
import sys
import sysconfig
import unicodedata

import regex

LLAMA3 = (
    r"""(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*"""
    r"""|\s*[\r\n]+|\s+(?!\S)|\s+"""
)
QWEN2 = (
    r"""(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*"""
    r"""|\s*[\r\n]+|\s+(?!\S)|\s+"""
)


def tiktoken_patterns() -> dict[str, str]:
    """The pat_str of r50k_base, cl100k_base and o200k_base from the installed tiktoken_ext.openai_public."""
    import tiktoken_ext.openai_public as public

    public.load_tiktoken_bpe = lambda *args, **kwargs: {}  # the constructors would download vocabularies
    return {
        "gpt2": public.r50k_base()["pat_str"],
        "cl100k": public.cl100k_base()["pat_str"],
        "o200k": public.o200k_base()["pat_str"],
    }


def patterns() -> dict[str, str]:
    found = tiktoken_patterns()
    found["llama3"] = LLAMA3
    found["qwen2"] = QWEN2
    return found


def byte_ranges(text: str, spans) -> list[int]:
    """Character spans (start, end), in order, as flattened UTF-8 byte offsets."""
    flat: list[int] = []
    char_pos = 0
    byte_pos = 0
    for start, end in spans:
        byte_pos += len(text[char_pos:start].encode("utf-8", "surrogatepass"))
        piece = len(text[start:end].encode("utf-8", "surrogatepass"))
        flat.append(byte_pos)
        flat.append(byte_pos + piece)
        byte_pos += piece
        char_pos = end
    return flat


def split_regex(pattern: str, texts: list[str]) -> list[list[int]]:
    compiled = regex.compile(pattern)
    return [byte_ranges(text, (m.span() for m in compiled.finditer(text))) for text in texts]


def split_tokenizers(pattern: str, texts: list[str]) -> list[list[int]]:
    from tokenizers import Regex, pre_tokenizers

    splitter = pre_tokenizers.Split(Regex(pattern), behavior="isolated")
    return [byte_ranges(text, (span for _, span in splitter.pre_tokenize_str(text))) for text in texts]


def corpus_files() -> list[str]:
    """Text files of the standard library and of the reference packages, sorted by path."""
    roots = [sysconfig.get_paths()["stdlib"], os.path.dirname(regex.__file__)]
    for name in ("tiktoken", "tiktoken_ext"):
        try:
            module = __import__(name)
            roots.extend(module.__path__)
        except ImportError:
            pass
    site = sysconfig.get_paths()["purelib"]
    if os.path.isdir(site):
        roots.extend(
            os.path.join(site, entry)
            for entry in sorted(os.listdir(site))
            if entry.startswith(("regex-", "tiktoken-")) and entry.endswith(".dist-info")
        )
    found: set[str] = set()
    for root in roots:
        for directory, subdirectories, files in os.walk(root):
            subdirectories[:] = sorted(d for d in subdirectories if d not in ("site-packages", "__pycache__"))
            for name in files:
                if name.endswith((".py", ".txt", ".rst")) or name.startswith("LICENSE"):
                    found.add(os.path.join(directory, name))
    return sorted(found)


def corpus(count: int, max_chars: int) -> list[str]:
    """`count` documents from corpus_files(), each cut to `max_chars` characters.

    Half are spread evenly over the files that hold non-ASCII text (the standard library is mostly ASCII), the
    rest evenly over the others; the order is by path.
    """
    readable: list[tuple[str, bool]] = []
    for path in corpus_files():
        try:
            with open(path, encoding="utf-8") as handle:
                text = handle.read(max_chars)
        except (OSError, UnicodeDecodeError):
            continue
        if text:
            readable.append((text, not text.isascii()))
    if count <= 0 or not readable:
        return []
    wide = [text for text, non_ascii in readable if non_ascii]
    narrow = [text for text, non_ascii in readable if not non_ascii]
    take_wide = min(len(wide), count // 2)
    return spread(wide, take_wide) + spread(narrow, count - take_wide)


def spread(items: list[str], count: int) -> list[str]:
    """`count` items spread evenly over `items` (all of them when there are not more)."""
    if count >= len(items):
        return list(items)
    return [items[index * len(items) // count] for index in range(count)]


def main() -> None:
    request = json.load(sys.stdin)
    names = request.get("patterns") or [request["pattern"]]
    engine = request.get("engine", "regex")
    known = patterns()
    if "corpus" in request:
        texts = corpus(int(request["corpus"]), int(request.get("max_chars", 32768)))
    else:
        texts = request["texts"]
    split = split_tokenizers if engine == "tokenizers" else split_regex
    output = {
        "regex_version": regex.__version__,
        "python_unicodedata": unicodedata.unidata_version,
        "engine": engine,
        "regexes": {name: known[name] for name in names},
        "splits": {name: split(known[name], texts) for name in names},
    }
    if "corpus" in request:
        output["texts"] = texts
    json.dump(output, sys.stdout, ensure_ascii=False)


if __name__ == "__main__":
    main()
