#!/usr/bin/env python3
"""datatrove's side of `ptk bench dedup`: MinHash dedup of the same documents, in the same run.

stdin: {"prepare": {"path": p, "bytes": n}} writes about n bytes of real documents (reference_corpus.real_texts)
to the JSONL file p, {"text", "id"} per line, and after every third document a near copy of an earlier one (a
few words changed, a sentence appended), so that dedup has something to find; answers {"documents", "bytes",
"copies"}. Or {"input": p, "ngram": 5, "bands": 14, "rows": 8} runs datatrove 0.10.1's four MinHash stages as
its examples do (MinhashDedupSignature, MinhashDedupBuckets with one task per band, MinhashDedupCluster,
MinhashDedupFilter, all with LocalPipelineExecutor and one worker: one core), JsonlReader in and JsonlWriter out,
and answers seconds per stage ("signatures", "buckets", "clusters", "filter"), "removed" (ids, sorted) and
"versions". Its default MinhashConfig splits words with spaCy (English) and hashes 64-bit xxhash.
"""
import json
import os
import random
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))


def prepare(request):
    from reference_corpus import real_texts

    texts = real_texts(request["bytes"])
    rng = random.Random(7)
    documents, copies = [], 0
    for i, text in enumerate(texts):
        documents.append(text)
        if i % 3 == 2:
            words = rng.choice(documents).split(" ")
            for _ in range(3):
                words[rng.randrange(len(words))] = "edited"
            documents.append(" ".join(words) + "\nOne more sentence at the end.")
            copies += 1
    with open(request["path"], "w", encoding="utf-8") as handle:
        for i, text in enumerate(documents):
            handle.write(json.dumps({"text": text, "id": str(i)}, ensure_ascii=False) + "\n")
    return {"documents": len(documents), "copies": copies,
            "bytes": sum(len(t.encode("utf-8")) for t in documents)}


def run(request):
    import logging

    import datatrove
    from datatrove.executor import LocalPipelineExecutor
    from datatrove.pipeline.dedup.minhash import (MinhashConfig, MinhashDedupBuckets, MinhashDedupCluster,
                                                  MinhashDedupFilter, MinhashDedupSignature)
    from datatrove.pipeline.readers import JsonlReader
    from datatrove.pipeline.writers import JsonlWriter
    from loguru import logger

    logger.remove()
    logging.disable(logging.CRITICAL)
    # datatrove's executors log to stderr on their own: keep the benchmark's stderr for its progress lines.
    saved = os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    config = MinhashConfig(n_grams=request["ngram"], num_buckets=request["bands"],
                           hashes_per_bucket=request["rows"])
    timings = {}
    with tempfile.TemporaryDirectory() as tmp:
        folder, name = os.path.split(os.path.abspath(request["input"]))

        def reader():
            return JsonlReader(folder, glob_pattern=name, text_key="text", id_key="id")

        def stage(key, pipeline, tasks):
            start = time.perf_counter()
            LocalPipelineExecutor(pipeline=pipeline, tasks=tasks, workers=1,
                                  logging_dir=os.path.join(tmp, "logs", key)).run()
            timings[key] = time.perf_counter() - start

        stage("signatures", [reader(), MinhashDedupSignature(output_folder=f"{tmp}/sigs", config=config)], 1)
        stage("buckets", [MinhashDedupBuckets(input_folder=f"{tmp}/sigs", output_folder=f"{tmp}/buckets",
                                              config=config)], config.num_buckets)
        stage("clusters", [MinhashDedupCluster(input_folder=f"{tmp}/buckets", output_folder=f"{tmp}/remove",
                                               config=config)], 1)
        stage("filter", [reader(), MinhashDedupFilter(input_folder=f"{tmp}/remove",
                                                      exclusion_writer=JsonlWriter(f"{tmp}/removed")),
                         JsonlWriter(f"{tmp}/kept")], 1)
        removed = []
        removed_folder = f"{tmp}/removed"
        if os.path.isdir(removed_folder):
            import gzip
            for file in sorted(os.listdir(removed_folder)):
                opener = gzip.open if file.endswith(".gz") else open
                with opener(os.path.join(removed_folder, file), "rt", encoding="utf-8") as handle:
                    removed.extend(json.loads(line)["id"] for line in handle if line.strip())
    os.dup2(saved, 2)
    import spacy
    import xxhash
    return {**timings, "removed": sorted(removed, key=int),
            "versions": {"datatrove": datatrove.__version__ if hasattr(datatrove, "__version__") else "0.10.1",
                         "spacy": spacy.__version__, "xxhash": xxhash.VERSION}}


def main():
    request = json.loads(sys.stdin.read())
    answer = prepare(request["prepare"]) if "prepare" in request else run(request)
    sys.stdout.write(json.dumps(answer))


if __name__ == "__main__":
    main()
