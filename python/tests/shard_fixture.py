"""TEST FIXTURE GENERATOR: writes small packed folders by docs/shard-format.md with numpy only.

This is not ptk's writer (that is Swift); it exists so the Python companion can be tested before and
independently of it. It follows the spec literally: Megatron .bin/.idx for tokens and the -lossmask, -cuseqlens
and -segments sidecars, one sequence (and one document) per window, and a manifest.json with the keys the spec
lists. documents.jsonl.zst and rejects/ are not written (nothing here reads them).
"""
from __future__ import annotations

import hashlib
import json
import os

import numpy as np

_CODES = {np.dtype(np.uint8): 1, np.dtype(np.int8): 2, np.dtype(np.int16): 3, np.dtype(np.int32): 4,
          np.dtype(np.int64): 5, np.dtype(np.float64): 6, np.dtype(np.float32): 7, np.dtype(np.uint16): 8}


def write_indexed(prefix, sequences, dtype):
    """Writes prefix.bin (values back to back) and prefix.idx (header, lengths, byte offsets, document
    indices 0..n: each sequence is its own document)."""
    dtype = np.dtype(dtype)
    arrays = [np.asarray(s, dtype=dtype) for s in sequences]
    lengths = np.array([len(a) for a in arrays], dtype="<i4")
    pointers = np.zeros(len(arrays), dtype="<i8")
    if len(arrays):
        pointers[1:] = np.cumsum(lengths[:-1].astype(np.int64)) * dtype.itemsize
    documents = np.arange(len(arrays) + 1, dtype="<i8")
    os.makedirs(os.path.dirname(prefix) or ".", exist_ok=True)
    # Written beside and renamed over: a reader's memory map of the old file stays valid (rewriting it in place
    # would truncate what the map shows, and reading there is a bus error).
    with open(prefix + ".bin.tmp", "wb") as handle:
        for a in arrays:
            handle.write(a.astype(dtype.newbyteorder("<")).tobytes())
    with open(prefix + ".idx.tmp", "wb") as handle:
        handle.write(b"MMIDIDX\x00\x00")
        handle.write((1).to_bytes(8, "little"))
        handle.write(bytes([_CODES[dtype]]))
        handle.write(len(arrays).to_bytes(8, "little"))
        handle.write((len(arrays) + 1).to_bytes(8, "little"))
        handle.write(lengths.tobytes() + pointers.tobytes() + documents.tobytes())
    os.replace(prefix + ".bin.tmp", prefix + ".bin")
    os.replace(prefix + ".idx.tmp", prefix + ".idx")


def document_sequence(text_ids, eos_id, bos_id=None, meta_ids=()):
    """A document's token sequence `[BOS] [metadata] text [EOS]` and its loss mask (0 on BOS and metadata)."""
    head = ([bos_id] if bos_id is not None else []) + list(meta_ids)
    tokens = head + list(text_ids) + [eos_id]
    mask = [0] * len(head) + [1] * (len(text_ids) + 1)
    return tokens, mask


def _finish(window, seq_len, pad_id):
    """Pads a window being built ({tokens, mask, cu, seg}) to seq_len with a padding segment."""
    room = seq_len - len(window["tokens"])
    if room > 0:
        window["tokens"] += [pad_id] * room
        window["mask"] += [0] * room
        window["cu"].append(seq_len)
        window["seg"] += [-1, 0]
    return window


def _new():
    return {"tokens": [], "mask": [], "cu": [0], "seg": []}


def _add(window, ordinal, offset, tokens, mask):
    window["tokens"] += list(tokens)
    window["mask"] += list(mask)
    window["cu"].append(len(window["tokens"]))
    window["seg"] += [ordinal, offset]


def pack(sequences, masks, strategy, seq_len, pad_id, bestfit_buffer=None):
    """Windows for the documents (their token sequences and loss masks, in ordinal order) by a strategy of the
    spec. Returns a list of dicts with tokens, mask, cu, seg (flat pairs)."""
    windows = []
    if strategy in ("concat", "docmask"):
        current = _new()
        for ordinal, (seq, mask) in enumerate(zip(sequences, masks)):
            offset = 0
            while offset < len(seq):
                take = min(seq_len - len(current["tokens"]), len(seq) - offset)
                _add(current, ordinal, offset, seq[offset:offset + take], mask[offset:offset + take])
                offset += take
                if len(current["tokens"]) == seq_len:
                    windows.append(current)
                    current = _new()
        if current["tokens"]:
            windows.append(_finish(current, seq_len, pad_id))
        return windows
    chunks = []  # (ordinal, offset, tokens, mask)
    for ordinal, (seq, mask) in enumerate(zip(sequences, masks)):
        for offset in range(0, len(seq), seq_len):
            chunks.append((ordinal, offset, seq[offset:offset + seq_len], mask[offset:offset + seq_len]))
    if strategy == "pad":
        for chunk in chunks:
            window = _new()
            _add(window, *chunk)
            windows.append(_finish(window, seq_len, pad_id))
        return windows
    if strategy == "bestfit":
        buffer = bestfit_buffer or max(1, sum(len(c[2]) for c in chunks))
        start = 0
        while start < len(chunks):
            group, tokens = [], 0
            while start < len(chunks) and (not group or tokens + len(chunks[start][2]) <= buffer):
                group.append(chunks[start])
                tokens += len(chunks[start][2])
                start += 1
            group.sort(key=lambda c: -len(c[2]))  # stable: ties keep ordinal order
            opened = []
            for chunk in group:
                fits = [w for w in opened if seq_len - len(w["tokens"]) >= len(chunk[2])]
                if fits:
                    target = min(fits, key=lambda w: seq_len - len(w["tokens"]))
                else:
                    target = _new()
                    opened.append(target)
                _add(target, *chunk)
            windows += [_finish(w, seq_len, pad_id) for w in opened]
        return windows
    raise ValueError(f"unknown strategy {strategy!r}")


def _sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def write_folder(out, sequences, masks, *, strategy="docmask", seq_len=64, vocab_size=256, eos_id=0,
                 bos_id=None, pad_id=None, windows_per_shard=None, cooldown=None, tokenizer_file=None):
    """Writes a packed folder. `cooldown` optionally is (sequences, masks) for the cooldown set; their
    ordinals follow the train documents'. Returns the manifest."""
    pad_id = eos_id if pad_id is None else pad_id
    dtype = "uint16" if vocab_size < 65_500 else "int32"
    attention = "causal" if strategy == "concat" else "document"
    os.makedirs(out, exist_ok=True)
    sets = {}
    set_inputs = [("train", sequences, masks, 0)]
    if cooldown is not None:
        set_inputs.append(("cooldown", cooldown[0], cooldown[1], len(sequences)))
    for name, seqs, msks, first in set_inputs:
        windows = pack(seqs, msks, strategy, seq_len, pad_id)
        for w in windows:
            w["seg"] = [o + first if k % 2 == 0 and o >= 0 else o for k, o in enumerate(w["seg"])]
        per = windows_per_shard or max(1, len(windows))
        shards = []
        for index, start in enumerate(range(0, len(windows), per)):
            part = windows[start:start + per]
            prefix = f"{name}/rank-00000-{index:05d}"
            base = os.path.join(out, prefix)
            write_indexed(base, [w["tokens"] for w in part], dtype)
            write_indexed(base + "-lossmask", [w["mask"] for w in part], np.uint8)
            write_indexed(base + "-cuseqlens", [w["cu"] for w in part], np.int32)
            write_indexed(base + "-segments", [w["seg"] for w in part], np.int64)
            shards.append({"prefix": prefix, "windows": len(part), "tokens": len(part) * seq_len})
        padding = sum(w["cu"][k + 1] - w["cu"][k] for w in windows for k in range(len(w["cu"]) - 1)
                      if w["seg"][2 * k] == -1)
        sets[name] = {
            "windows": len(windows), "tokens": len(windows) * seq_len,
            "text_tokens": len(windows) * seq_len - padding, "padding_tokens": padding,
            "loss_tokens": sum(sum(w["mask"]) for w in windows), "shards": shards,
        }
    if "cooldown" not in sets:
        sets["cooldown"] = {"windows": 0, "tokens": 0, "text_tokens": 0, "padding_tokens": 0, "loss_tokens": 0,
                            "shards": []}
    files = []
    for root, _, names in os.walk(out):
        for name in sorted(names):
            path = os.path.join(root, name)
            rel = os.path.relpath(path, out)
            if rel != "manifest.json":
                files.append({"path": rel, "bytes": os.path.getsize(path), "sha256": _sha256(path)})
    count = len(sequences) + (len(cooldown[0]) if cooldown else 0)
    manifest = {
        "format": "ptk-packed-v1", "tool": "ptk-test-fixture", "version": "0", "strategy": strategy,
        "seq_len": seq_len, "attention": attention, "dtype": dtype, "vocab_size": vocab_size, "eos_id": eos_id,
        "bos_id": bos_id, "pad_id": pad_id, "seed": 0,
        "tokenizer": {"file": os.path.basename(tokenizer_file) if tokenizer_file else None,
                      "sha256": _sha256(tokenizer_file) if tokenizer_file else None},
        "recipe_sha256": "0" * 64, "meco": None,
        "documents": {"read": count, "packed": count, "rejected": 0,
                      "split": 0, "chunks": 0},
        "ledger": {"read": count, "written": count, "rejected": 0},
        "sets": sets, "files": sorted(files, key=lambda f: f["path"]),
    }
    with open(os.path.join(out, "manifest.json"), "w", encoding="utf-8") as handle:
        json.dump(manifest, handle, indent=2)
    return manifest


def synthetic_documents(count, seed=0, vocab_size=64, min_len=3, max_len=40, eos_id=0, bos_id=None):
    """Random documents (text ids in 2..vocab_size-1) as token sequences and loss masks."""
    rng = np.random.default_rng(seed)
    sequences, masks = [], []
    for _ in range(count):
        text = rng.integers(2, vocab_size, size=int(rng.integers(min_len, max_len + 1))).tolist()
        seq, mask = document_sequence(text, eos_id, bos_id)
        sequences.append(seq)
        masks.append(mask)
    return sequences, masks


def repetitive_documents(count, seed=0, vocab_size=64, period=8, eos_id=0, bos_id=1):
    """Documents that repeat a short pattern (one per document, from a small set): easy to learn, so a tiny
    model's loss drops fast."""
    rng = np.random.default_rng(seed)
    patterns = [rng.integers(2, vocab_size, size=period).tolist() for _ in range(4)]
    sequences, masks = [], []
    for _ in range(count):
        pattern = patterns[int(rng.integers(len(patterns)))]
        reps = int(rng.integers(3, 9))
        seq, mask = document_sequence(pattern * reps, eos_id, bos_id)
        sequences.append(seq)
        masks.append(mask)
    return sequences, masks


# ---- text documents through a tokenizer.json (needs the tokenizers package) ----

WORDS = ("the packer cuts documents into windows of seq_len tokens and writes shards that megatron reads "
         "émigré naïve 日本語 テキスト données <|endoftext|> code: def f(x): return x + 1").split()


def sample_texts(count, seed):
    rng = np.random.default_rng(seed)
    return [" ".join(rng.choice(WORDS, size=int(rng.integers(1, 30))).tolist()) for _ in range(count)]


def encode_texts(tokenizer_file, texts):
    """Text ids as ptk computes them (encode_ordinary: special-token strings are text)."""
    from tokenizers import Tokenizer
    tokenizer = Tokenizer.from_file(tokenizer_file)
    tokenizer.encode_special_tokens = True
    return [tokenizer.encode(t, add_special_tokens=False).ids for t in texts]


def write_text_folder(out, tokenizer_file, texts, strategy, seq_len=32, bos=True, windows_per_shard=None,
                      cooldown_texts=None):
    """A packed folder of these texts by the fixture generator; returns the manifest."""
    from tokenizers import Tokenizer
    vocab = Tokenizer.from_file(tokenizer_file).get_vocab_size()
    bos_id = 1 if bos else None

    def sequences(group):
        pairs = [document_sequence(ids, 0, bos_id) for ids in encode_texts(tokenizer_file, group)]
        return [p[0] for p in pairs], [p[1] for p in pairs]

    seqs, masks = sequences(texts)
    cooldown = sequences(cooldown_texts) if cooldown_texts else None
    return write_folder(str(out), seqs, masks, strategy=strategy, seq_len=seq_len, vocab_size=vocab, eos_id=0,
                        bos_id=bos_id, windows_per_shard=windows_per_shard, cooldown=cooldown,
                        tokenizer_file=tokenizer_file)
