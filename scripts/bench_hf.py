"""HF tokenizers' side of `ptk bench tokenize --hf-tokenizer`: times encoding on the same documents, same run.

stdin: {"jsonl": path, "tokenizer": tokenizer.json path, "threads": N}. Encoding is the pretraining default
(add_special_tokens=False, encode_special_tokens=True), as ptk's. stdout: {"seconds_1", "seconds_n",
"tokens", "version"}; 1 thread is a loop of encode(), N threads is encode_batch() with RAYON_NUM_THREADS=N.
Best of three, each from an empty model cache (`_clear_cache`; WordPiece has none to clear).
"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_common import best  # noqa: E402  (same folder)
import reference_tokenizer  # noqa: E402


def main():
    request = json.load(sys.stdin)
    os.environ["RAYON_NUM_THREADS"] = str(request["threads"])  # read when tokenizers starts its pool
    import tokenizers

    with open(request["jsonl"], encoding="utf-8") as f:
        texts = [json.loads(line)["text"] for line in f if line.strip()]
    tok = reference_tokenizer.load_as_ptk(request["tokenizer"])
    clear = getattr(tok.model, "_clear_cache", None)

    def cold(fn):
        # Each timed run starts from an empty model cache, as ptk's runs do (TokenizerCaches.clear()).
        def run():
            if clear is not None:
                clear()
            return fn()
        return run

    ids, seconds_1 = best(cold(lambda: [tok.encode(t, add_special_tokens=False).ids for t in texts]))
    _, seconds_n = best(cold(lambda: tok.encode_batch(texts, add_special_tokens=False)))
    json.dump({"seconds_1": seconds_1, "seconds_n": seconds_n, "tokens": sum(len(x) for x in ids),
               "version": tokenizers.__version__}, sys.stdout)


if __name__ == "__main__":
    main()
