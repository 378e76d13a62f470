"""(e) megatron-core's IndexedDataset opens the token and sidecar files and its sequences equal our reader's;
and scripts/reference_megatron.py (the Swift tests' checker) finds no mismatch in a correct folder and reports
the ones put into a broken one."""
import importlib.util
import json
import os
import subprocess
import sys
import warnings

import numpy as np
import pytest

import ptk_data
import shard_fixture
from conftest import ROOT

warnings.filterwarnings("ignore", message=".*Transformer Engine and Apex.*")
from megatron.core.datasets.indexed_dataset import IndexedDataset  # noqa: E402

SCRIPT = os.path.join(ROOT, "scripts", "reference_megatron.py")


def reference():
    spec = importlib.util.spec_from_file_location("reference_megatron", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("strategy,vocab", [("docmask", 256), ("concat", 256), ("bestfit", 70_000),
                                            ("pad", 70_000)])
def test_indexed_dataset_equals_our_reader(tmp_path, strategy, vocab):
    sequences, masks = shard_fixture.synthetic_documents(40, seed=21, vocab_size=min(vocab, 1000), bos_id=1)
    if vocab > 65_535:
        sequences = [[t + 66_000 if t > 1 else t for t in s] for s in sequences]  # ids that need int32
    manifest = shard_fixture.write_folder(str(tmp_path), sequences, masks, strategy=strategy, seq_len=24,
                                          vocab_size=vocab, windows_per_shard=7)
    folder = ptk_data.PackedFolder(str(tmp_path))
    assert manifest["dtype"] == ("uint16" if vocab < 65_500 else "int32")
    for shard in folder.shards("train"):
        files = {"": shard.tokens, **{"-" + name: f for name, f in shard.sidecars.items()}}
        for suffix, ours in files.items():
            theirs = IndexedDataset(shard.prefix + suffix)
            assert len(theirs) == len(ours)
            assert theirs.index.dtype == ours.dtype
            assert np.array_equal(theirs.sequence_lengths, ours.lengths)
            assert np.array_equal(theirs.document_indices, ours.document_indices)
            for i in range(len(ours)):
                assert theirs[i].dtype == ours[i].dtype
                assert np.array_equal(theirs[i], ours[i])
            joined = theirs[0:len(theirs)]
            assert all(np.array_equal(a, ours[i]) for i, a in enumerate(joined))
        segments = IndexedDataset(shard.prefix + "-segments")  # kept: its views die with its mmap
        for i in range(len(shard)):
            assert np.array_equal(segments[i].reshape(-1, 2), shard.window(i).segments)


TEXTS = shard_fixture.sample_texts(60, seed=5) + ["", "<|endoftext|> is text here", "x" * 200]


@pytest.mark.parametrize("strategy,bos,seq_len", [("concat", True, 32), ("docmask", False, 32),
                                                  ("bestfit", True, 48), ("pad", False, 16)])
def test_reference_megatron_finds_no_mismatch(tmp_path, tokenizer_file, strategy, bos, seq_len):
    shard_fixture.write_text_folder(tmp_path, tokenizer_file, TEXTS, strategy, seq_len=seq_len, bos=bos,
                                    windows_per_shard=9, cooldown_texts=TEXTS[:7])
    answer = reference().check({"folder": str(tmp_path), "tokenizer": tokenizer_file,
                                "documents": [{"text": t} for t in TEXTS + TEXTS[:7]]})
    assert answer["mismatches"] == [] and answer["mismatch_count"] == 0
    assert answer["documents_compared"] == len(TEXTS) + 7
    assert answer["windows"] == sum(answer["sets"].values()) > 0
    assert set(answer["sets"]) == {"train", "cooldown"}


def test_reference_megatron_reports_mismatches(tmp_path, tokenizer_file):
    texts = TEXTS[:20]
    shard_fixture.write_text_folder(tmp_path, tokenizer_file, texts, "docmask", seq_len=32, bos=True)
    module = reference()
    request = {"folder": str(tmp_path), "tokenizer": tokenizer_file, "documents": [{"text": t} for t in texts]}
    assert module.check(request)["mismatch_count"] == 0

    swapped = dict(request, documents=[{"text": t} for t in [texts[1], texts[0]] + texts[2:]])
    answer = module.check(swapped)
    assert answer["mismatch_count"] >= 2
    assert any(m.startswith("document 0:") for m in answer["mismatches"])

    prefix = os.path.join(str(tmp_path), "train", "rank-00000-00000")
    folder = ptk_data.PackedFolder(str(tmp_path))
    windows = [folder.window("train", i) for i in range(folder.windows_in("train"))]
    masks = [np.array(w.lossmask) for w in windows]
    masks[0][0] = 1  # the first BOS as a target
    shard_fixture.write_indexed(prefix + "-lossmask", masks, np.uint8)
    answer = module.check(request)
    assert any("loss mask not 0" in m for m in answer["mismatches"]), answer

    tokens = [np.array(w.tokens) for w in windows]
    tokens[1][5] = tokens[1][5] + 1 if tokens[1][5] < 300 else 3
    shard_fixture.write_indexed(prefix, tokens, np.uint16)
    answer = module.check(request)
    assert any("do not end with its" in m for m in answer["mismatches"]), answer
    assert any("non-padding tokens in window order" in m for m in answer["mismatches"]), answer


def test_reference_megatron_cli(tmp_path, tokenizer_file):
    texts = TEXTS[:10]
    shard_fixture.write_text_folder(tmp_path, tokenizer_file, texts, "bestfit", seq_len=32)
    request = json.dumps({"folder": str(tmp_path), "tokenizer": tokenizer_file,
                          "documents": [{"text": t} for t in texts[:-1]]})  # one document too few
    done = subprocess.run([sys.executable, SCRIPT], input=request, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout)
    assert answer["documents_compared"] == 9 and answer["mismatch_count"] >= 1
    assert any("ordinal 9, but 9 documents" in m for m in answer["mismatches"])
    missing = subprocess.run([sys.executable, SCRIPT], input=json.dumps({"folder": str(tmp_path / "nope"),
                             "tokenizer": tokenizer_file, "documents": []}), capture_output=True, text=True)
    assert missing.returncode != 0
