#!/usr/bin/env python3
"""sentence-transformers' side of `ptk bench embed`: the same documents, the same run.

stdin: {"prepare": {"path": p, "documents": n}} writes n real documents (reference_corpus.real_texts: the Debian
Reference in five languages, Chinese fortunes, Python source) as JSONL {"text", "id"} and answers
{"documents", "bytes"} (any python); or {"model": folder, "path": p, "threads": [1, N]} encodes them with
sentence-transformers on torch CPU float32, batch size 32, once per thread count after a warm-up batch, and
answers {"seconds": {"1": s, "N": s}, "vectors": [[...]] (the last run's), "peak_rss_kb", "versions"} (the torch venv's python).
"""
import json
import resource
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))


def prepare(request):
    from reference_corpus import real_texts

    texts = []
    for text in real_texts(50_000_000):
        texts.append(text)
        if len(texts) >= request["documents"]:
            break
    with open(request["path"], "w", encoding="utf-8") as handle:
        for i, text in enumerate(texts):
            handle.write(json.dumps({"text": text, "id": str(i)}, ensure_ascii=False) + "\n")
    return {"documents": len(texts), "bytes": sum(len(t.encode("utf-8")) for t in texts)}


def run(request):
    import sentence_transformers
    import torch
    from sentence_transformers import SentenceTransformer

    with open(request["path"], encoding="utf-8") as handle:
        texts = [json.loads(line)["text"] for line in handle]
    model = SentenceTransformer(request["model"], device="cpu")
    seconds, vectors = {}, None
    for threads in request["threads"]:
        torch.set_num_threads(int(threads))
        model.encode(texts[:32], batch_size=32)
        start = time.perf_counter()
        vectors = model.encode(texts, batch_size=32, convert_to_numpy=True)
        seconds[str(threads)] = time.perf_counter() - start
    peak_rss_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    return {"seconds": seconds, "vectors": vectors.astype(float).tolist(), "peak_rss_kb": peak_rss_kb,
            "versions": {"sentence-transformers": sentence_transformers.__version__, "torch": torch.__version__}}


def main():
    request = json.load(sys.stdin)
    if "prepare" in request:
        json.dump(prepare(request["prepare"]), sys.stdout)
    else:
        json.dump(run(request), sys.stdout)


if __name__ == "__main__":
    main()
