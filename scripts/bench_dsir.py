#!/usr/bin/env python3
"""data-selection's side of `ptk bench select`: the same pool and target, the same run.

stdin: {"prepare": {"pool": path, "target": path, "bytes": n}} writes about n bytes of real documents
(reference_corpus.real_texts) as the pool JSONL and its Japanese documents (with kana) as the target JSONL,
{"text", "id"} per line, and answers {"documents", "target_documents", "bytes"}; or
{"pool": path, "target": path, "threads": N, "k": k} runs data-selection 1.0.3 (HashedNgramDSIR, defaults:
10,000 buckets, unigrams + bigrams, min length 100) as a user would: fit_importance_estimator, then
compute_importance_weights, then resample(top_k=True, k), with num_proc=1 and with num_proc=N, and answers
{"fit_1", "weights_1", "resample_1", "fit_n", "weights_n", "resample_n"} in seconds (or "error_n": with
nltk 3.10.4, data-selection's worker processes fail in nltk's regex timeout wrapper, "timeout not float or None"), "log_weights" (num_proc=1,
pool order), "top_k" (ids, sorted) and "versions". One run each: the reference takes minutes.
"""
import json
import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))


def prepare(request):
    from reference_corpus import real_texts

    texts = real_texts(request["bytes"])
    target = [t for t in texts if any(0x3041 <= ord(c) <= 0x30FF for c in t)]
    for path, docs in ((request["pool"], texts), (request["target"], target)):
        with open(path, "w", encoding="utf-8") as handle:
            for i, text in enumerate(docs):
                handle.write(json.dumps({"text": text, "id": str(i)}, ensure_ascii=False) + "\n")
    return {"documents": len(texts), "target_documents": len(target),
            "bytes": sum(len(t.encode("utf-8")) for t in texts)}


def run(request, procs):
    import numpy as np
    from data_selection import HashedNgramDSIR

    timings = {}
    with tempfile.TemporaryDirectory() as tmp:
        cache = os.path.join(tmp, "cache")
        dsir = HashedNgramDSIR([request["pool"]], [request["target"]], cache_dir=cache, num_proc=procs)
        start = time.perf_counter()
        dsir.fit_importance_estimator(num_tokens_to_fit="auto")
        timings["fit"] = time.perf_counter() - start
        start = time.perf_counter()
        dsir.compute_importance_weights()
        timings["weights"] = time.perf_counter() - start
        start = time.perf_counter()
        out = os.path.join(tmp, "out")
        dsir.resample(out, num_to_sample=request["k"], cache_dir=os.path.join(tmp, "rc"), top_k=True)
        timings["resample"] = time.perf_counter() - start
        shards = sorted(os.listdir(os.path.join(cache, "log_importance_weights")), key=lambda n: int(n.split(".")[0]))
        weights = np.concatenate([np.load(os.path.join(cache, "log_importance_weights", n)) for n in shards])
        chosen = []
        for name in sorted(os.listdir(out)):
            with open(os.path.join(out, name), encoding="utf-8") as handle:
                chosen.extend(json.loads(line)["id"] for line in handle if line.strip())
    return timings, [float(w) for w in weights], sorted(chosen, key=int)


def main():
    request = json.load(sys.stdin)
    if "prepare" in request:
        json.dump(prepare(request["prepare"]), sys.stdout)
        return
    import importlib.metadata as md

    answer = {"versions": {name: md.version(name) for name in ("data-selection", "nltk", "numpy")}}
    one, weights, chosen = run(request, 1)
    answer.update({f"{k}_1": v for k, v in one.items()})
    answer["log_weights"], answer["top_k"] = weights, chosen
    try:
        many, _, _ = run(request, request["threads"])
        answer.update({f"{k}_n": v for k, v in many.items()})
    except Exception as error:  # noqa: BLE001  (reported, not hidden: the table says why there is no figure)
        answer["error_n"] = f"{type(error).__name__}: {error}"
    json.dump(answer, sys.stdout)


if __name__ == "__main__":
    main()
