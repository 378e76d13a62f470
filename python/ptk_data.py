"""Read the packed folders that `ptk pack` writes (docs/shard-format.md, format `ptk-packed-v1`).

The reader needs numpy only: every `.bin` is memory-mapped and every `.idx` is parsed here, by the table of the
spec (no megatron dependency). torch is imported only by `PackedDataset` and the collate functions, so
`PackedFolder` and the numpy helpers work in an environment without torch.

    folder = PackedFolder("OUT")
    w = folder.window("train", 0)          # Window(tokens, lossmask, cu_seqlens, segments)
    ex = example(w, folder.attention)      # numpy: input_ids, labels, position_ids, cu_seqlens, attention

    ds = PackedDataset("OUT", set="train", mask_seams=True)
    loader = torch.utils.data.DataLoader(ds, batch_size=8, collate_fn=collate_sdpa)     # [B, 1, L, L] mask
    loader = torch.utils.data.DataLoader(ds, batch_size=8, collate_fn=collate_varlen)   # one row + cu_seqlens

Conventions (Hugging Face): `labels` has the same positions as `input_ids` (the model shifts); −100 where the
loss mask is 0 and, with `mask_seams`, at the first token of every segment after the first (that token would
be predicted from the previous segment's last token). `position_ids` restart at 0 per segment for attention
"document", and run 0..L−1 for attention "causal" (strategy concat).
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass

import numpy as np

IGNORE_INDEX = -100
FORMAT = "ptk-packed-v1"

_HEADER = b"MMIDIDX\x00\x00"
_HEADER_BYTES = 34  # magic 9 + version 8 + dtype 1 + sequence_count 8 + document_count 8
DTYPE_CODES = {
    1: np.dtype(np.uint8), 2: np.dtype(np.int8), 3: np.dtype(np.int16), 4: np.dtype(np.int32),
    5: np.dtype(np.int64), 6: np.dtype(np.float64), 7: np.dtype(np.float32), 8: np.dtype(np.uint16),
}
_TOKEN_DTYPES = {"uint16": np.dtype(np.uint16), "int32": np.dtype(np.int32)}
SIDECARS = ("lossmask", "cuseqlens", "segments")
_SIDECAR_DTYPES = {"lossmask": np.dtype(np.uint8), "cuseqlens": np.dtype(np.int32), "segments": np.dtype(np.int64)}


class MalformedShard(ValueError):
    """A file of a packed folder does not follow docs/shard-format.md; the message names the file."""


def _fail(path, message):
    raise MalformedShard(f"{path}: {message}")


class IndexedFile:
    """One Megatron indexed dataset (`prefix.bin` + `prefix.idx`): `len()` sequences, `[i]` a numpy view."""

    def __init__(self, prefix):
        self.prefix = str(prefix)
        self.idx_path = self.prefix + ".idx"
        self.bin_path = self.prefix + ".bin"
        for path in (self.idx_path, self.bin_path):
            if not os.path.isfile(path):
                _fail(path, "missing")
        with open(self.idx_path, "rb") as handle:
            raw = handle.read()
        self._parse(raw)
        expected = int(self.lengths.sum(dtype=np.int64)) * self.dtype.itemsize
        actual = os.path.getsize(self.bin_path)
        if actual != expected:
            _fail(self.bin_path, f"{actual} bytes, but the .idx describes {expected} "
                                 f"({int(self.lengths.sum())} values of {self.dtype.itemsize} bytes)")
        if expected == 0:
            self._bin = np.empty(0, dtype=self.dtype)
        else:
            self._bin = np.memmap(self.bin_path, dtype=self.dtype, mode="r")

    def _parse(self, raw):
        path = self.idx_path
        if len(raw) < _HEADER_BYTES:
            _fail(path, f"{len(raw)} bytes, shorter than the {_HEADER_BYTES}-byte header")
        if raw[:9] != _HEADER:
            _fail(path, f"bad magic {raw[:9]!r}, expected {_HEADER!r}")
        version = int.from_bytes(raw[9:17], "little")
        if version != 1:
            _fail(path, f"version {version}, expected 1")
        code = raw[17]
        if code not in DTYPE_CODES:
            _fail(path, f"unknown dtype code {code} (known: 1-8)")
        self.dtype = DTYPE_CODES[code]
        count = int.from_bytes(raw[18:26], "little")
        documents = int.from_bytes(raw[26:34], "little")
        size = _HEADER_BYTES + 4 * count + 8 * count + 8 * documents
        if len(raw) != size:
            _fail(path, f"{len(raw)} bytes, but a header of {count} sequences and {documents} document "
                        f"indices needs {size}")
        at = _HEADER_BYTES
        self.lengths = np.frombuffer(raw, dtype="<i4", count=count, offset=at)
        at += 4 * count
        self.pointers = np.frombuffer(raw, dtype="<i8", count=count, offset=at)
        at += 8 * count
        self.document_indices = np.frombuffer(raw, dtype="<i8", count=documents, offset=at)
        if count and int(self.lengths.min()) < 0:
            _fail(path, f"negative sequence length at sequence {int(np.argmin(self.lengths))}")
        running = np.zeros(count, dtype=np.int64)
        if count:
            running[1:] = np.cumsum(self.lengths[:-1].astype(np.int64)) * self.dtype.itemsize
        bad = np.nonzero(self.pointers != running)[0]
        if bad.size:
            i = int(bad[0])
            _fail(path, f"byte offset of sequence {i} is {int(self.pointers[i])}, expected {int(running[i])} "
                        f"(running sum of length x {self.dtype.itemsize})")
        d = self.document_indices
        if documents == 0 or d[0] != 0 or d[-1] != count or (documents > 1 and np.any(np.diff(d) < 0)):
            _fail(path, f"document indices must run from 0 to the sequence count {count} without decreasing")

    def __len__(self):
        return len(self.lengths)

    def __getitem__(self, i):
        n = len(self.lengths)
        if not -n <= i < n:
            raise IndexError(f"{self.prefix}: sequence {i} of {n}")
        i %= n
        start = int(self.pointers[i]) // self.dtype.itemsize
        return self._bin[start:start + int(self.lengths[i])]


@dataclass
class Window:
    """One window: `tokens` and `lossmask` ([L]), `cu_seqlens` ([S+1] int32), `segments` ([S, 2] int64:
    document ordinal (−1 = padding) and offset of the segment's first token within that document)."""
    tokens: np.ndarray
    lossmask: np.ndarray
    cu_seqlens: np.ndarray
    segments: np.ndarray


class Shard:
    """The four indexed files of one shard prefix (tokens, -lossmask, -cuseqlens, -segments)."""

    def __init__(self, prefix, seq_len=None, token_dtype=None):
        self.prefix = str(prefix)
        self.tokens = IndexedFile(self.prefix)
        self.sidecars = {name: IndexedFile(f"{self.prefix}-{name}") for name in SIDECARS}
        if self.tokens.dtype not in _TOKEN_DTYPES.values():
            _fail(self.tokens.idx_path, f"token dtype {self.tokens.dtype}, expected uint16 or int32")
        if token_dtype is not None and self.tokens.dtype != _TOKEN_DTYPES.get(token_dtype):
            _fail(self.tokens.idx_path, f"token dtype {self.tokens.dtype}, but the manifest says {token_dtype}")
        for name, file in self.sidecars.items():
            if file.dtype != _SIDECAR_DTYPES[name]:
                _fail(file.idx_path, f"dtype {file.dtype}, expected {_SIDECAR_DTYPES[name]}")
            if len(file) != len(self.tokens):
                _fail(file.idx_path, f"{len(file)} windows, but {self.tokens.idx_path} has {len(self.tokens)}")
        n = len(self.tokens)
        if self.tokens.document_indices.shape[0] != n + 1:
            _fail(self.tokens.idx_path, f"{self.tokens.document_indices.shape[0]} document indices, expected "
                                        f"{n + 1} (each window is its own document)")
        self.seq_len = seq_len
        for name in ("tokens", "lossmask"):
            file = self.tokens if name == "tokens" else self.sidecars["lossmask"]
            if n and seq_len is not None and np.any(file.lengths != seq_len):
                i = int(np.nonzero(file.lengths != seq_len)[0][0])
                _fail(file.idx_path, f"window {i} has {int(file.lengths[i])} values, expected seq_len {seq_len}")
        if n and seq_len is None:
            self.seq_len = int(self.tokens.lengths[0])
            if np.any(self.tokens.lengths != self.seq_len) or np.any(self.sidecars["lossmask"].lengths !=
                                                                     self.tokens.lengths):
                _fail(self.tokens.idx_path, "windows differ in length")

    def __len__(self):
        return len(self.tokens)

    def window(self, i):
        tokens = self.tokens[i]
        lossmask = self.sidecars["lossmask"][i]
        cu = self.sidecars["cuseqlens"][i]
        segments = self.sidecars["segments"][i]
        where = f"{self.prefix} window {i}"
        if len(lossmask) != len(tokens):
            _fail(where, f"{len(lossmask)} loss-mask values for {len(tokens)} tokens")
        if len(cu) < 2 or cu[0] != 0 or cu[-1] != len(tokens) or np.any(np.diff(cu) <= 0):
            _fail(where, f"cu_seqlens {cu.tolist()} must increase from 0 to {len(tokens)}")
        if len(segments) != 2 * (len(cu) - 1):
            _fail(where, f"{len(segments)} segment values for {len(cu) - 1} segments (two per segment)")
        return Window(tokens, lossmask, cu, segments.reshape(-1, 2))


class PackedFolder:
    """A packed folder as its manifest.json describes it; windows of a set are numbered across its shards."""

    def __init__(self, folder):
        self.folder = str(folder)
        path = os.path.join(self.folder, "manifest.json")
        if not os.path.isfile(path):
            _fail(path, "missing: not a packed folder")
        with open(path, encoding="utf-8") as handle:
            self.manifest = json.load(handle)
        if self.manifest.get("format") != FORMAT:
            _fail(path, f"format {self.manifest.get('format')!r}, expected {FORMAT!r}")
        for key in ("seq_len", "attention", "dtype", "sets"):
            if key not in self.manifest:
                _fail(path, f"no {key!r}")
        if self.attention not in ("causal", "document"):
            _fail(path, f"attention {self.attention!r}, expected 'causal' or 'document'")
        self._shards = {}

    seq_len = property(lambda self: int(self.manifest["seq_len"]))
    attention = property(lambda self: self.manifest["attention"])
    strategy = property(lambda self: self.manifest.get("strategy"))
    sets = property(lambda self: [name for name, s in self.manifest["sets"].items() if s])

    def shard_prefix(self, set_name, prefix):
        """The path prefix of a shard named in the manifest (relative to the folder, or to the set folder)."""
        for candidate in (os.path.join(self.folder, prefix), os.path.join(self.folder, set_name, prefix)):
            if os.path.isfile(candidate + ".idx"):
                return candidate
        return os.path.join(self.folder, prefix)

    def shards(self, set_name="train"):
        if set_name not in self._shards:
            entry = self.manifest["sets"].get(set_name)
            if entry is None:
                raise KeyError(f"{self.folder}: no set {set_name!r} (sets: {', '.join(self.sets) or 'none'})")
            shards = []
            for item in entry.get("shards", []):
                shard = Shard(self.shard_prefix(set_name, item["prefix"]), self.seq_len, self.manifest["dtype"])
                if "windows" in item and len(shard) != int(item["windows"]):
                    _fail(shard.tokens.idx_path, f"{len(shard)} windows, but the manifest says {item['windows']}")
                shards.append(shard)
            self._shards[set_name] = shards
        return self._shards[set_name]

    def __len__(self):
        return self.windows_in("train")

    def windows_in(self, set_name="train"):
        return sum(len(s) for s in self.shards(set_name))

    def window(self, set_name, i):
        n = self.windows_in(set_name)
        if not -n <= i < n:
            raise IndexError(f"{self.folder}: window {i} of {n} in {set_name}")
        i %= n
        for shard in self.shards(set_name):
            if i < len(shard):
                return shard.window(i)
            i -= len(shard)
        raise AssertionError("unreachable")

    def windows(self, set_name="train"):
        for shard in self.shards(set_name):
            for i in range(len(shard)):
                yield shard.window(i)


# ---- numpy helpers: what the dataset yields, and the masks, without torch ----

def segment_ids(cu_seqlens, length=None):
    """[L] int32: the index of the segment each token belongs to."""
    cu = np.asarray(cu_seqlens, dtype=np.int64)
    length = int(cu[-1]) if length is None else length
    return (np.searchsorted(cu, np.arange(length), side="right") - 1).astype(np.int32)


def position_ids(cu_seqlens, attention="document"):
    """[L] int64: 0..L−1 for "causal"; restarting at 0 at every segment start for "document"."""
    cu = np.asarray(cu_seqlens, dtype=np.int64)
    length = int(cu[-1])
    if attention == "causal":
        return np.arange(length, dtype=np.int64)
    return np.arange(length, dtype=np.int64) - cu[segment_ids(cu, length)]


def labels(tokens, lossmask, cu_seqlens, mask_seams=True):
    """[L] int64 labels (HF convention): the token ids, −100 where the loss mask is 0 and, with `mask_seams`,
    at the first token of every segment after the first."""
    out = np.asarray(tokens).astype(np.int64)
    out[np.asarray(lossmask) == 0] = IGNORE_INDEX
    if mask_seams:
        out[np.asarray(cu_seqlens, dtype=np.int64)[1:-1]] = IGNORE_INDEX
    return out


def attention_mask(cu_seqlens, attention="document"):
    """[L, L] bool, True where token i may attend token j: j ≤ i, and for "document" also the same segment."""
    cu = np.asarray(cu_seqlens, dtype=np.int64)
    length = int(cu[-1])
    mask = np.tril(np.ones((length, length), dtype=bool))
    if attention == "document":
        seg = segment_ids(cu, length)
        mask &= seg[:, None] == seg[None, :]
    return mask


def example(window, attention, mask_seams=True):
    """The numpy form of one dataset item."""
    return {
        "input_ids": np.asarray(window.tokens).astype(np.int64),
        "labels": labels(window.tokens, window.lossmask, window.cu_seqlens, mask_seams),
        "position_ids": position_ids(window.cu_seqlens, attention),
        "cu_seqlens": np.asarray(window.cu_seqlens, dtype=np.int32).copy(),
        "attention": attention,
    }


# ---- torch: dataset and collate functions (torch is imported on first use) ----

def _torch():
    import torch
    return torch


class PackedDataset:
    """A map-style dataset (usable with torch.utils.data.DataLoader) over the windows of one set.

    Items: `input_ids` int64 [L], `labels` int64 [L], `position_ids` int64 [L], `cu_seqlens` int32 [S+1] (the
    window's segments as stored), `attention` ("causal" or "document", from the manifest).
    """

    def __init__(self, folder, set="train", mask_seams=True):  # noqa: A002 - the name the docs use
        self.packed = folder if isinstance(folder, PackedFolder) else PackedFolder(folder)
        self.set = set
        self.mask_seams = mask_seams
        self.attention = self.packed.attention
        self.seq_len = self.packed.seq_len
        self.vocab_size = self.packed.manifest.get("vocab_size")
        self._length = self.packed.windows_in(set)

    def __len__(self):
        return self._length

    def __getitem__(self, i):
        torch = _torch()
        item = example(self.packed.window(self.set, i), self.attention, self.mask_seams)
        return {key: torch.from_numpy(value) if isinstance(value, np.ndarray) else value
                for key, value in item.items()}


def _attention_of(batch):
    kinds = {item["attention"] for item in batch}
    if len(kinds) != 1:
        raise ValueError(f"a batch mixes attention kinds {sorted(kinds)}")
    return kinds.pop()


def _boundaries(item, attention):
    """The segment ends that attention uses: the stored cu_seqlens, or [0, L] for "causal"."""
    torch = _torch()
    if attention == "causal":
        return torch.tensor([0, item["input_ids"].shape[0]], dtype=torch.int32)
    return item["cu_seqlens"].to(torch.int32)


def collate_sdpa(batch):
    """Stacks a batch for SDPA: input_ids, labels, position_ids [B, L]; attention_mask bool [B, 1, L, L]
    (True = may attend: block-diagonal causal for "document", plain causal for "causal"); segment_ids [B, L]
    (for flex_attention's mask_mod; all 0 for "causal")."""
    torch = _torch()
    attention = _attention_of(batch)
    out = {key: torch.stack([item[key] for item in batch]) for key in ("input_ids", "labels", "position_ids")}
    length = out["input_ids"].shape[1]
    causal = torch.ones(length, length, dtype=torch.bool).tril()
    segs = []
    for item in batch:
        cu = _boundaries(item, attention).to(torch.int64)
        segs.append(torch.searchsorted(cu, torch.arange(length), right=True) - 1)
    seg = torch.stack(segs)
    out["segment_ids"] = seg.to(torch.int32)
    out["attention_mask"] = (causal[None] & (seg[:, :, None] == seg[:, None, :]))[:, None]
    out["attention"] = attention
    return out


def collate_varlen(batch):
    """Flattens a batch into one row for flash-attn's varlen kernels: input_ids, labels, position_ids [1, B·L];
    cu_seqlens int32 [total segments + 1] (each sample's boundaries offset by its start; one segment per sample
    for "causal"); max_seqlen. The first label of every sample is −100 (it would be predicted across samples)."""
    torch = _torch()
    attention = _attention_of(batch)
    ids, labs, pos, cus = [], [], [], [torch.zeros(1, dtype=torch.int32)]
    start = 0
    for item in batch:
        length = item["input_ids"].shape[0]
        ids.append(item["input_ids"])
        lab = item["labels"].clone()
        lab[0] = IGNORE_INDEX
        labs.append(lab)
        pos.append(item["position_ids"])
        cus.append(_boundaries(item, attention)[1:] + start)
        start += length
    cu = torch.cat(cus).to(torch.int32)
    return {
        "input_ids": torch.cat(ids)[None], "labels": torch.cat(labs)[None], "position_ids": torch.cat(pos)[None],
        "cu_seqlens": cu, "max_seqlen": int((cu[1:] - cu[:-1]).max()), "attention": attention,
    }
