#!/usr/bin/env python3
"""Reference ids and decodes from Hugging Face tokenizers 0.23.3 for SentencePiece-style BPE tokenizer.json files
(Llama-2 / Mistral family); offline, nothing is downloaded.

No PyPI package we know ships such a tokenizer.json, so the files are made here from the SentencePiece BPE model
mistral_common/data/tokenizer.model.v1 (Mistral 7B v0.1, 32,000 tokens, byte fallback) of the mistral-common
package, with transformers' own LlamaConverter pieces (normalizer, pre-tokenizer, decoder) and merges from
transformers' generate_merges ordered by piece score, as transformers converts Llama-2 files. Fixtures:
  mistral-legacy     legacy=True:  normalizer Sequence[Prepend("▁"), Replace(" ", "▁")], no pre-tokenizer
  mistral-metaspace  legacy=False: no normalizer, Metaspace(prepend_scheme "first", split false)
  mistral-split-unk  Metaspace(prepend_scheme "always", split true) and its decoder; byte_fallback off, so
                     characters missing from the vocabulary become <unk> (fuse_unk)
  mistral-added      mistral-metaspace plus two non-special added tokens "<|user|>" and "[INST]" (prepend_scheme
                     "first" after an added token)
They are written once into a cache directory ($PTK_SPBPE_FIXTURE_DIR, else
<tmp>/ptk-spbpe-fixtures/<mistral-common>-<transformers>-<tokenizers versions>/<fixture>/tokenizer.json).
Encoding is `encode(text, add_special_tokens=False)` with `encode_special_tokens = True`; decoding is
`decode(ids, skip_special_tokens=False)`.

stdin: one JSON object with any of
  "info": true                 -> "fixtures": {name: path}, "tokenizers_version", "vocab_sizes": {name: n},
                                  "forms": {name: {"normalizer", "pre_tokenizer", "decoder"} as saved}
  "model": str, "texts": [...] -> "texts": [[id, ...], ...], "decoded": [decode(ids), ...]
  "model": str, "decode": [[id, ...], ...]
                               -> "decode": [str, ...]
  "model": str, "stdlib_bytes": n
                               -> "stdlib_texts", "stdlib_ids" (as scripts/reference_hf.py), "stdlib_decoded"
stdout: one JSON object with the answers.
"""
import importlib.metadata
import json
import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import tokenizers  # noqa: E402
from reference_corpus import stdlib_texts  # noqa: E402  (same folder)
import reference_tokenizer  # noqa: E402

FIXTURES = ["mistral-legacy", "mistral-metaspace", "mistral-split-unk", "mistral-added"]


def spm_model():
    import mistral_common

    path = os.path.join(os.path.dirname(mistral_common.__file__), "data", "tokenizer.model.v1")
    if not os.path.exists(path):
        sys.exit(path + " not found: install mistral-common (scripts/reference-venv.sh)")
    return path


def convert(legacy):
    """The tokenizers.Tokenizer that transformers' LlamaConverter makes of tokenizer.model.v1."""
    from tokenizers import AddedToken, Tokenizer
    from tokenizers.models import BPE
    from transformers.convert_slow_tokenizer import LlamaConverter, generate_merges, import_protobuf

    model_pb2 = import_protobuf()
    proto = model_pb2.ModelProto()
    with open(spm_model(), "rb") as handle:
        proto.ParseFromString(handle.read())

    class Original:  # what LlamaConverter reads of a slow LlamaTokenizer
        vocab_file = spm_model()
        add_prefix_space = True

        def __init__(self):
            self.legacy = legacy

        def convert_ids_to_tokens(self, index):
            return proto.pieces[index].piece

    converter = LlamaConverter.__new__(LlamaConverter)
    converter.original_tokenizer = Original()
    converter.proto = proto
    vocab_scores = converter.vocab(proto)
    vocab = {piece: index for index, (piece, _) in enumerate(vocab_scores)}
    merges = generate_merges(vocab, vocab_scores)  # by piece score, as for Llama-2's tokenizer.json
    tok = Tokenizer(BPE(vocab, merges, unk_token=proto.trainer_spec.unk_piece, fuse_unk=True, byte_fallback=True,
                        dropout=None))
    tok.add_tokens([AddedToken(p.piece, normalized=False, special=True) for p in proto.pieces if p.type in (2, 3)])
    normalizer = converter.normalizer(proto)
    if normalizer is not None:
        tok.normalizer = normalizer
    pre_tokenizer = converter.pre_tokenizer("▁", True)
    if pre_tokenizer is not None:
        tok.pre_tokenizer = pre_tokenizer
    tok.decoder = converter.decoder("▁", True)
    return tok


def build(name):
    """The JSON text of fixture `name`."""
    if name in ("mistral-legacy", "mistral-metaspace", "mistral-added"):
        data = json.loads(convert(legacy=name == "mistral-legacy").to_str())
    else:
        data = json.loads(convert(legacy=False).to_str())
        data["model"]["byte_fallback"] = False
        data["pre_tokenizer"] = {"type": "Metaspace", "replacement": "▁", "prepend_scheme": "always", "split": True}
        data["decoder"] = {"type": "Metaspace", "replacement": "▁", "prepend_scheme": "always", "split": True}
    if name == "mistral-added":
        size = len(data["model"]["vocab"])
        for offset, content in enumerate(["<|user|>", "[INST]"]):
            data["added_tokens"].append({"id": size + offset, "content": content, "single_word": False,
                                         "lstrip": False, "rstrip": False, "normalized": False, "special": False})
    return json.dumps(data, ensure_ascii=False)


def fixture(name):
    versions = "-".join(importlib.metadata.version(p) for p in ("mistral-common", "transformers", "tokenizers"))
    root = os.environ.get("PTK_SPBPE_FIXTURE_DIR") or os.path.join(tempfile.gettempdir(), "ptk-spbpe-fixtures",
                                                                    versions)
    target = os.path.join(root, name, "tokenizer.json")
    if not os.path.exists(target):
        text = build(name)

        def write(partial):
            with open(partial, "w", encoding="utf-8") as handle:
                handle.write(text)

        reference_tokenizer.publish(target, write)
    return target


def load(name):
    return reference_tokenizer.load_as_ptk(fixture(name))


def main():
    request = json.load(sys.stdin)
    answer = {}
    if request.get("info"):
        answer["fixtures"] = {name: fixture(name) for name in FIXTURES}
        answer["tokenizers_version"] = tokenizers.__version__
        answer["vocab_sizes"], answer["forms"] = {}, {}
        for name in FIXTURES:
            with open(fixture(name), encoding="utf-8") as handle:
                data = json.load(handle)
            answer["vocab_sizes"][name] = len(data["model"]["vocab"])
            answer["forms"][name] = {key: json.dumps(data[key], ensure_ascii=False)
                                     for key in ("normalizer", "pre_tokenizer", "decoder")}
    if "model" in request:
        tok = load(request["model"])

        def decode(ids):
            return tok.decode(ids, skip_special_tokens=False)

        if "texts" in request:
            answer["texts"] = [tok.encode(t, add_special_tokens=False).ids for t in request["texts"]]
            answer["decoded"] = [decode(ids) for ids in answer["texts"]]
        if "decode" in request:
            answer["decode"] = [decode(ids) for ids in request["decode"]]
        if "stdlib_bytes" in request:
            texts = stdlib_texts(int(request["stdlib_bytes"]))
            answer["stdlib_texts"] = texts
            answer["stdlib_ids"] = [tok.encode(t, add_special_tokens=False).ids for t in texts]
            answer["stdlib_decoded"] = [decode(ids) for ids in answer["stdlib_ids"]]
    json.dump(answer, sys.stdout)


if __name__ == "__main__":
    main()
