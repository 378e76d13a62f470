"""sentencepiece's side of `ptk bench tokenize --sp-model`: times encoding on the same documents, same run.

stdin: {"jsonl": path, "tokenizer": .model path, "threads": N}. stdout: {"seconds_1", "seconds_n", "tokens",
"version"}; 1 thread is a loop of encode(text), N threads is encode(list, num_threads=N). Best of three.
"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_common import best  # noqa: E402  (same folder)


def main():
    request = json.load(sys.stdin)
    import sentencepiece

    with open(request["jsonl"], encoding="utf-8") as f:
        texts = [json.loads(line)["text"] for line in f if line.strip()]
    sp = sentencepiece.SentencePieceProcessor(model_file=request["tokenizer"])
    ids, seconds_1 = best(lambda: [sp.encode(t) for t in texts])
    _, seconds_n = best(lambda: sp.encode(texts, num_threads=request["threads"]))
    json.dump({"seconds_1": seconds_1, "seconds_n": seconds_n, "tokens": sum(len(x) for x in ids),
               "version": sentencepiece.__version__}, sys.stdout)


if __name__ == "__main__":
    main()
