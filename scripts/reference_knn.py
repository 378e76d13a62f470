"""Reference nearest neighbours: faiss IndexFlatIP (exact inner product) over a .npy matrix.

Request (JSON on stdin): {"npy": path of a [N, d] float32 .npy, "k": K} → {"ids": [[...]] (self removed), "scores":
[[...]], "shape": [N, d]}. Run with the torch venv's python (faiss-cpu, numpy). The search asks for K + 1
neighbours and removes the row itself, as ptk excludes self.
"""
import json
import sys


def main():
    request = json.load(sys.stdin)
    import faiss
    import numpy as np

    x = np.load(request["npy"])
    k = int(request["k"])
    index = faiss.IndexFlatIP(x.shape[1])
    index.add(np.ascontiguousarray(x, dtype=np.float32))
    scores, ids = index.search(np.ascontiguousarray(x, dtype=np.float32), k + 1)
    out_ids, out_scores = [], []
    for i in range(x.shape[0]):
        pairs = [(int(j), float(s)) for j, s in zip(ids[i], scores[i]) if j != i and j >= 0][:k]
        out_ids.append([j for j, _ in pairs])
        out_scores.append([s for _, s in pairs])
    json.dump({"ids": out_ids, "scores": out_scores, "shape": list(x.shape)}, sys.stdout)


if __name__ == "__main__":
    main()
