#!/usr/bin/env python3
"""Checks a packed folder (docs/shard-format.md) with megatron-core's reader, for the Swift pack tests.

Runs in the torch venv (scripts/torch-venv.sh, $PTK_TORCH_PYTHON): megatron-core 0.16.1, tokenizers 0.23.3.

stdin: one JSON object
  "folder": OUT                         the packed folder (manifest.json, train/, cooldown/)
  "tokenizer": PATH                     the tokenizer.json the folder was packed with
  "documents": [{"text": ...}, ...]     the packed documents in ordinal order (rejected ones left out)
stdout: one JSON object
  "documents_compared": n, "windows": w, "mismatch_count": m, "mismatches": [first 20 descriptions],
  "strategy", "sets": {set: windows}, "megatron_core_version", "tokenizers_version"

Every shard of every set in the manifest is opened with megatron.core.datasets.indexed_dataset.IndexedDataset
(tokens and the -lossmask, -cuseqlens and -segments sidecars). Each document's token sequence is rebuilt from
the segments, by (ordinal, offset), and must be `[BOS] [metadata] text_ids [EOS]`: it ends with text_ids + [eos]
(text_ids = Tokenizer.from_file(tokenizer).encode(text, add_special_tokens=False).ids, with special-token
strings encoded as text, as `encode_ordinary` does), everything before the text has loss mask 0 (just [bos], or
nothing, without MeCo), and the text and EOS have loss mask 1. Padding segments are pad_id with loss mask 0.
For concat and docmask, the non-padding tokens of each set's windows, in order, must equal the sequences of that
set's documents in ordinal order (unless the manifest says `shuffle_windows`: then only each document's
rebuilt sequence is checked). Exits 0 whatever it finds (the caller asserts); non-zero only when it cannot
run (bad request, no manifest, a package missing).
"""
import contextlib
import importlib.metadata
import json
import os
import sys
import warnings

import reference_tokenizer

LIMIT = 20


def main():
    request = json.loads(sys.stdin.read())
    with contextlib.redirect_stdout(sys.stderr):  # only the answer goes to stdout
        answer = check(request)
    print(json.dumps(answer))


def check(request):
    folder, tokenizer_path, documents = request["folder"], request["tokenizer"], request["documents"]
    with open(os.path.join(folder, "manifest.json"), encoding="utf-8") as handle:
        manifest = json.load(handle)

    warnings.filterwarnings("ignore")  # megatron-core warns that Transformer Engine and Apex are missing
    import numpy as np
    from megatron.core.datasets.indexed_dataset import IndexedDataset

    tokenizer = reference_tokenizer.load_as_ptk(tokenizer_path)
    texts = [tokenizer.encode(d["text"], add_special_tokens=False).ids for d in documents]

    seq_len, strategy = int(manifest["seq_len"]), manifest.get("strategy")
    eos, bos = manifest["eos_id"], manifest.get("bos_id")
    pad = manifest.get("pad_id", eos)
    meco = manifest.get("meco")
    shuffled = bool(manifest.get("shuffle_windows"))
    mismatches, count = [], 0

    def mismatch(text):
        nonlocal count
        count += 1
        if len(mismatches) < LIMIT:
            mismatches.append(text)

    pieces = {}  # ordinal -> [(offset, tokens, mask, where)]
    streams = {}  # set -> (non-padding tokens in window order, ordinals in order of appearance)
    windows, per_set = 0, {}
    for set_name, entry in (manifest.get("sets") or {}).items():
        if not entry:
            continue
        stream, seen = [], []
        per_set[set_name] = 0
        for shard in entry.get("shards", []):
            prefix = os.path.join(folder, shard["prefix"])
            if not os.path.exists(prefix + ".idx"):
                prefix = os.path.join(folder, set_name, shard["prefix"])
            try:
                files = {name: IndexedDataset(prefix + suffix) for name, suffix in
                         (("tokens", ""), ("lossmask", "-lossmask"), ("cuseqlens", "-cuseqlens"),
                          ("segments", "-segments"))}
            except Exception as error:  # noqa: BLE001 - megatron asserts; report it as a finding
                mismatch(f"{shard['prefix']}: megatron-core cannot open it: {type(error).__name__}: {error}")
                continue
            n = len(files["tokens"])
            for name, dataset in files.items():
                if len(dataset) != n:
                    mismatch(f"{shard['prefix']}-{name}: {len(dataset)} windows, tokens have {n}")
            if "windows" in shard and int(shard["windows"]) != n:
                mismatch(f"{shard['prefix']}: {n} windows, manifest says {shard['windows']}")
            for i in range(min(len(d) for d in files.values())):
                windows += 1
                per_set[set_name] += 1
                where = f"{shard['prefix']} window {i}"
                # copies: IndexedDataset closes its memory map when it is dropped, and pieces outlive it
                tokens = np.array(files["tokens"][i], dtype=np.int64)
                mask = np.array(files["lossmask"][i], dtype=np.int64)
                cu = np.array(files["cuseqlens"][i], dtype=np.int64)
                segs = np.array(files["segments"][i], dtype=np.int64)
                if len(tokens) != seq_len or len(mask) != seq_len:
                    mismatch(f"{where}: {len(tokens)} tokens and {len(mask)} mask values, seq_len {seq_len}")
                    continue
                if len(cu) < 2 or cu[0] != 0 or cu[-1] != seq_len or np.any(np.diff(cu) <= 0):
                    mismatch(f"{where}: cu_seqlens {cu.tolist()} do not increase from 0 to {seq_len}")
                    continue
                if len(segs) != 2 * (len(cu) - 1):
                    mismatch(f"{where}: {len(segs)} segment values for {len(cu) - 1} segments")
                    continue
                for k in range(len(cu) - 1):
                    ordinal, offset = int(segs[2 * k]), int(segs[2 * k + 1])
                    part, part_mask = tokens[cu[k]:cu[k + 1]], mask[cu[k]:cu[k + 1]]
                    if ordinal == -1:
                        if np.any(part != pad) or np.any(part_mask != 0):
                            mismatch(f"{where} segment {k}: padding is not pad_id {pad} with loss mask 0")
                        continue
                    if not 0 <= ordinal < len(documents):
                        mismatch(f"{where} segment {k}: ordinal {ordinal}, but {len(documents)} documents")
                        continue
                    pieces.setdefault(ordinal, []).append((offset, part, part_mask, where))
                    stream.append(part)
                    if not seen or seen[-1] != ordinal:
                        seen.append(ordinal)
        streams[set_name] = (stream, seen)

    sequences = {}
    for ordinal in range(len(documents)):
        parts = sorted(pieces.get(ordinal, []), key=lambda p: p[0])
        if not parts:
            mismatch(f"document {ordinal}: in no window")
            continue
        expected_offset, seq, seq_mask = 0, [], []
        for offset, part, part_mask, where in parts:
            if offset != expected_offset:
                mismatch(f"document {ordinal}: a segment at offset {offset} ({where}), expected {expected_offset}")
                break
            seq.append(part)
            seq_mask.append(part_mask)
            expected_offset += len(part)
        else:
            seq, seq_mask = np.concatenate(seq), np.concatenate(seq_mask)
            sequences[ordinal] = seq
            text = texts[ordinal]
            tail = len(text) + 1
            head = len(seq) - tail
            if head < 0 or seq[head:].tolist() != list(text) + [eos]:
                got = seq[max(0, head):].tolist()
                first = next((j for j, (a, b) in enumerate(zip(got, list(text) + [eos])) if a != b), None)
                mismatch(f"document {ordinal}: {len(seq)} tokens do not end with its {len(text)} text ids + "
                         f"eos {eos} (first difference at text index {first}; got {got[:12]}..., expected "
                         f"{(list(text) + [eos])[:12]}...)")
                continue
            if np.any(seq_mask[:head] != 0):
                mismatch(f"document {ordinal}: loss mask not 0 on the {head} tokens before the text")
            if np.any(seq_mask[head:] != 1):
                mismatch(f"document {ordinal}: loss mask not 1 on the text and EOS")
            if not meco:
                want = [bos] if bos is not None else []
                if seq[:head].tolist() != want:
                    mismatch(f"document {ordinal}: {seq[:head].tolist()} before the text, expected {want}")
            elif bos is not None and (head == 0 or seq[0] != bos):
                mismatch(f"document {ordinal}: does not start with bos {bos}")

    def expected(ordinal):
        """The document's sequence as it should be: [bos] text [eos] without MeCo; with MeCo the metadata is
        not known here, so the rebuilt head (checked above to have loss mask 0) stands for it."""
        tail = list(texts[ordinal]) + [eos]
        if not meco:
            return np.array(([bos] if bos is not None else []) + tail, dtype=np.int64)
        seq = sequences.get(ordinal)
        if seq is None:
            return None
        return np.concatenate([seq[:max(0, len(seq) - len(tail))], np.array(tail, dtype=np.int64)])

    if strategy in ("concat", "docmask") and not shuffled:
        for set_name, (stream, seen) in streams.items():
            if seen != sorted(set(seen)):
                mismatch(f"{set_name}: documents are not in ordinal order (first ones: {seen[:10]})")
            got = np.concatenate(stream) if stream else np.zeros(0, dtype=np.int64)
            want_parts = [expected(o) for o in sorted(set(seen))]
            want_parts = [p for p in want_parts if p is not None]
            want = np.concatenate(want_parts) if want_parts else np.zeros(0, dtype=np.int64)
            if got.shape != want.shape or np.any(got != want):
                n = min(len(got), len(want))
                first = int(np.argmax(got[:n] != want[:n])) if np.any(got[:n] != want[:n]) else n
                mismatch(f"{set_name}: the {len(got)} non-padding tokens in window order differ from the "
                         f"{len(want)} tokens of its documents in ordinal order, first at token {first}")

    return {
        "documents_compared": len(sequences), "windows": windows, "mismatch_count": count,
        "mismatches": mismatches, "strategy": strategy, "sets": per_set,
        "megatron_core_version": importlib.metadata.version("megatron-core"),
        "tokenizers_version": importlib.metadata.version("tokenizers"),
    }


if __name__ == "__main__":
    main()
