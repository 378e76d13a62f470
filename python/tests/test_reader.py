"""(c) The reader rejects malformed files with a clear error that names the file and what is wrong."""
import json
import os

import numpy as np
import pytest

import ptk_data
import shard_fixture


@pytest.fixture()
def folder(tmp_path):
    sequences, masks = shard_fixture.synthetic_documents(20, seed=5, bos_id=1)
    shard_fixture.write_folder(str(tmp_path), sequences, masks, strategy="docmask", seq_len=16)
    return str(tmp_path)


def prefix(folder, sidecar=""):
    return os.path.join(folder, "train", "rank-00000-00000" + sidecar)


def patch(path, offset, data):
    with open(path, "r+b") as handle:
        handle.seek(offset)
        handle.write(data)


def rejects(folder, pattern):
    with pytest.raises(ptk_data.MalformedShard, match=pattern) as raised:
        ptk_data.PackedFolder(folder).shards("train")
    return str(raised.value)


def test_a_good_folder_reads(folder):
    packed = ptk_data.PackedFolder(folder)
    assert packed.windows_in("train") > 1
    assert packed.strategy == "docmask" and packed.attention == "document"


def test_bad_magic(folder):
    patch(prefix(folder) + ".idx", 0, b"NOTANIDX\x00")
    message = rejects(folder, "bad magic")
    assert "rank-00000-00000.idx" in message


def test_bad_version(folder):
    patch(prefix(folder, "-lossmask") + ".idx", 9, (2).to_bytes(8, "little"))
    assert "-lossmask.idx" in rejects(folder, "version 2, expected 1")


def test_unknown_dtype(folder):
    patch(prefix(folder) + ".idx", 17, bytes([9]))
    rejects(folder, "unknown dtype code 9")


def test_wrong_sidecar_dtype(folder):
    patch(prefix(folder, "-lossmask") + ".idx", 17, bytes([2]))  # int8 instead of uint8
    rejects(folder, r"-lossmask.idx: dtype int8, expected uint8")
    patch(prefix(folder, "-lossmask") + ".idx", 17, bytes([1]))
    patch(prefix(folder, "-cuseqlens") + ".idx", 17, bytes([5]))  # int64: the offsets no longer add up
    rejects(folder, r"-cuseqlens.idx: byte offset of sequence 1 is \d+, expected \d+")


def test_truncated_idx(folder):
    path = prefix(folder, "-segments") + ".idx"
    with open(path, "r+b") as handle:
        handle.truncate(os.path.getsize(path) - 8)
    rejects(folder, r"-segments.idx: \d+ bytes, but a header of \d+ sequences")


def test_short_header(folder):
    path = prefix(folder) + ".idx"
    with open(path, "r+b") as handle:
        handle.truncate(20)
    rejects(folder, "shorter than the 34-byte header")


def test_sequence_count_disagrees_with_size(folder):
    path = prefix(folder) + ".idx"
    with open(path, "rb") as handle:
        count = int.from_bytes(handle.read()[18:26], "little")
    patch(path, 18, (count + 1).to_bytes(8, "little"))
    rejects(folder, "but a header of")


def test_bad_byte_offset(folder):
    path = prefix(folder) + ".idx"
    with open(path, "rb") as handle:
        count = int.from_bytes(handle.read()[18:26], "little")
    patch(path, 34 + 4 * count + 8, (3).to_bytes(8, "little"))  # the second pointer
    rejects(folder, "byte offset of sequence 1 is 3, expected 32")


def test_bad_document_indices(folder):
    path = prefix(folder) + ".idx"
    with open(path, "rb") as handle:
        count = int.from_bytes(handle.read()[18:26], "little")
    patch(path, 34 + 12 * count + 8 * count, (count - 1).to_bytes(8, "little"))  # the last index
    rejects(folder, "document indices")


def test_bin_size_disagrees(folder):
    with open(prefix(folder) + ".bin", "ab") as handle:
        handle.write(b"\x00\x00")
    rejects(folder, r"rank-00000-00000.bin: \d+ bytes, but the .idx describes")


def test_missing_sidecar(folder):
    os.remove(prefix(folder, "-segments") + ".bin")
    rejects(folder, "-segments.bin: missing")


def test_window_count_differs_between_files(folder):
    packed = ptk_data.PackedFolder(folder)
    windows = [packed.window("train", i) for i in range(packed.windows_in("train"))]
    shard_fixture.write_indexed(prefix(folder, "-lossmask"), [w.lossmask for w in windows[:-1]], np.uint8)
    rejects(folder, "-lossmask.idx: .* windows, but .* has")


def test_window_length_not_seq_len(folder):
    packed = ptk_data.PackedFolder(folder)
    windows = [np.asarray(packed.window("train", i).tokens) for i in range(packed.windows_in("train"))]
    windows[1] = windows[1][:-1]
    shard_fixture.write_indexed(prefix(folder), windows, np.uint16)
    rejects(folder, "window 1 has 15 values, expected seq_len 16")


def test_bad_cu_seqlens_in_a_window(folder):
    packed = ptk_data.PackedFolder(folder)
    cus = [np.asarray(packed.window("train", i).cu_seqlens) for i in range(packed.windows_in("train"))]
    cus[2] = np.array([0, 9, 9, 16], dtype=np.int32)
    shard_fixture.write_indexed(prefix(folder, "-cuseqlens"), cus, np.int32)
    with pytest.raises(ptk_data.MalformedShard, match="window 2: cu_seqlens .* must increase from 0 to 16"):
        ptk_data.PackedFolder(folder).window("train", 2)


def test_manifest_problems(folder):
    path = os.path.join(folder, "manifest.json")
    manifest = json.load(open(path))
    manifest["sets"]["train"]["shards"][0]["windows"] += 1
    json.dump(manifest, open(path, "w"))
    rejects(folder, "windows, but the manifest says")
    manifest["format"] = "something-else"
    json.dump(manifest, open(path, "w"))
    with pytest.raises(ptk_data.MalformedShard, match="format 'something-else'"):
        ptk_data.PackedFolder(folder)
    os.remove(path)
    with pytest.raises(ptk_data.MalformedShard, match="manifest.json: missing"):
        ptk_data.PackedFolder(folder)


def test_token_dtype_disagrees_with_manifest(folder):
    path = os.path.join(folder, "manifest.json")
    manifest = json.load(open(path))
    manifest["dtype"] = "int32"
    json.dump(manifest, open(path, "w"))
    rejects(folder, "token dtype uint16, but the manifest says int32")
