#!/usr/bin/env python3
"""faiss's side of `ptk bench knn`: the same vectors, the same run (the torch venv's python: faiss-cpu, numpy).

stdin: {"npy": path of [N, d] float32, "k": k, "threads": t, "nlist": L, "nprobe": P} → exact top-(k+1) with
IndexFlatIP and approximate with IndexIVFFlat (inner product, trained on the vectors themselves), answering
{"flat_seconds", "ivf_train_seconds", "ivf_search_seconds", "flat_ids": [[...]] (self removed, first k),
"ivf_ids": [[...]], "peak_rss_kb", "versions"}.
"""
import json
import sys
import time


def main():
    request = json.load(sys.stdin)
    import faiss
    import numpy as np

    faiss.omp_set_num_threads(int(request["threads"]))
    x = np.ascontiguousarray(np.load(request["npy"]), dtype=np.float32)
    k = int(request["k"])

    def strip(ids):
        return [[int(j) for j in row if j != i and j >= 0][:k] for i, row in enumerate(ids)]

    flat = faiss.IndexFlatIP(x.shape[1])
    flat.add(x)
    start = time.perf_counter()
    _, flat_ids = flat.search(x, k + 1)
    flat_seconds = time.perf_counter() - start
    quantizer = faiss.IndexFlatIP(x.shape[1])
    ivf = faiss.IndexIVFFlat(quantizer, x.shape[1], int(request["nlist"]), faiss.METRIC_INNER_PRODUCT)
    start = time.perf_counter()
    ivf.train(x)
    ivf.add(x)
    train_seconds = time.perf_counter() - start
    ivf.nprobe = int(request["nprobe"])
    start = time.perf_counter()
    _, ivf_ids = ivf.search(x, k + 1)
    ivf_seconds = time.perf_counter() - start
    import resource

    peak_rss_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    json.dump({"peak_rss_kb": peak_rss_kb, "flat_seconds": flat_seconds, "ivf_train_seconds": train_seconds, "ivf_search_seconds": ivf_seconds,
               "flat_ids": strip(flat_ids), "ivf_ids": strip(ivf_ids), "versions": {"faiss": faiss.__version__}},
              sys.stdout)


if __name__ == "__main__":
    main()
