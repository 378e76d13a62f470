"""The references' side of `ptk bench train-tokenizer`: times byte-level BPE training on the same files, same run.

stdin: {"files": [path, ...], "vocab_size": N, "pattern": "gpt2"|"llama3", "threads": N, "repeats": R}. Each
file (UTF-8) is one document, as ptk reads a .txt input. Timed, best of R, from the documents in memory to the
trained model:
  - tokenizers' BpeTrainer through `train_from_iterator`, built as scripts/reference_bpe_train.py builds it
    (the merges must equal ptk's; they are returned), RAYON_NUM_THREADS=threads;
  - rustbpe's `Tokenizer.train_from_iterator(texts, vocab_size, pattern=...)` (karpathy/rustbpe: GPT-4 style
    trainer, 256 byte tokens + merges; its ties are its own, so only its merge count is returned).
stdout: {"hf_seconds", "hf_merges", "hf_version", "rustbpe_seconds", "rustbpe_vocab_size", "rustbpe_version"}.
"""
import importlib.metadata
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_common import best  # noqa: E402  (same folder)
import reference_bpe_train  # noqa: E402
import reference_corpus  # noqa: E402

# tokenizers' ByteLevel regex (GPT-2's), as its pre_tokenizers/byte_level.rs writes it.
GPT2 = r"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"


def main():
    request = json.load(sys.stdin)
    os.environ["RAYON_NUM_THREADS"] = str(request["threads"])  # read when the Rust thread pools start
    import rustbpe
    import tokenizers

    texts = [reference_corpus.read(path) for path in request["files"]]
    config = {"pattern": request["pattern"], "vocab_size": request["vocab_size"]}
    repeats = request.get("repeats", 3)
    # train() times train_from_iterator alone (not building the tokenizer or serializing it).
    runs = [reference_bpe_train.train(texts, config) for _ in range(max(1, repeats))]
    hf, hf_seconds = runs[-1], min(run["seconds"] for run in runs)

    pattern = GPT2 if request["pattern"] == "gpt2" else reference_bpe_train.LLAMA3

    def train_rustbpe():
        tok = rustbpe.Tokenizer()
        tok.train_from_iterator(iter(texts), request["vocab_size"], pattern=pattern)
        return tok

    rust, rust_seconds = best(train_rustbpe, max(1, repeats))
    json.dump({"hf_seconds": hf_seconds, "hf_merges": hf["merges"], "hf_version": tokenizers.__version__,
               "rustbpe_seconds": rust_seconds, "rustbpe_vocab_size": rust.vocab_size,
               "rustbpe_version": importlib.metadata.version("rustbpe")}, sys.stdout, ensure_ascii=False)


if __name__ == "__main__":
    main()
