"""(b) labels and position_ids follow the rules: labels are the token ids (HF convention, the model shifts),
-100 where the loss mask is 0 and, with mask_seams, at the first token of every segment after the first;
position_ids restart at 0 per segment for "document" and run 0..L-1 for "causal"."""
import numpy as np
import pytest
import torch

import ptk_data
import shard_fixture


def expected(tokens, lossmask, cu, attention, mask_seams):
    labels, positions = [], []
    starts = set(int(c) for c in cu[1:-1])
    segment_start = 0
    for t in range(len(tokens)):
        if t in starts:
            segment_start = t
        masked = lossmask[t] == 0 or (mask_seams and t in starts)
        labels.append(-100 if masked else int(tokens[t]))
        positions.append(t if attention == "causal" else t - segment_start)
    return labels, positions


@pytest.mark.parametrize("strategy", ["concat", "docmask", "bestfit", "pad"])
@pytest.mark.parametrize("mask_seams", [True, False])
def test_items_follow_the_rules(tmp_path, strategy, mask_seams):
    sequences, masks = shard_fixture.synthetic_documents(50, seed=11, bos_id=1, max_len=30)
    manifest = shard_fixture.write_folder(str(tmp_path), sequences, masks, strategy=strategy, seq_len=20,
                                          windows_per_shard=6)
    dataset = ptk_data.PackedDataset(str(tmp_path), set="train", mask_seams=mask_seams)
    assert len(dataset) == manifest["sets"]["train"]["windows"]
    folder = ptk_data.PackedFolder(str(tmp_path))
    for i in range(len(dataset)):
        it = dataset[i]
        window = folder.window("train", i)
        assert it["input_ids"].dtype == torch.int64 and it["input_ids"].shape == (20,)
        assert it["labels"].dtype == torch.int64 and it["labels"].shape == (20,)
        assert it["position_ids"].dtype == torch.int64
        assert it["cu_seqlens"].dtype == torch.int32
        assert it["cu_seqlens"].tolist() == window.cu_seqlens.tolist()
        assert it["input_ids"].tolist() == window.tokens.tolist()
        labels, positions = expected(window.tokens, window.lossmask, window.cu_seqlens, dataset.attention,
                                     mask_seams)
        assert it["labels"].tolist() == labels
        assert it["position_ids"].tolist() == positions


def test_loss_mask_zero_on_bos_and_padding_and_seams():
    # two documents [BOS a b EOS] [BOS c EOS] and padding, by hand
    tokens = np.array([1, 5, 6, 0, 1, 7, 0, 0, 0], dtype=np.uint16)
    lossmask = np.array([0, 1, 1, 1, 0, 1, 1, 0, 0], dtype=np.uint8)
    cu = np.array([0, 4, 7, 9], dtype=np.int32)
    window = ptk_data.Window(tokens, lossmask, cu, np.array([[0, 0], [1, 0], [-1, 0]]))
    ex = ptk_data.example(window, "document")
    assert ex["labels"].tolist() == [-100, 5, 6, 0, -100, 7, 0, -100, -100]
    assert ex["position_ids"].tolist() == [0, 1, 2, 3, 0, 1, 2, 0, 1]
    # a continued document's first token is a real target when it is not a seam (first segment)
    window = ptk_data.Window(np.array([8, 9, 0, 1, 4], dtype=np.uint16), np.array([1, 1, 1, 0, 1], np.uint8),
                             np.array([0, 3, 5], np.int32), np.array([[3, 7], [4, 0]]))
    assert ptk_data.example(window, "document")["labels"].tolist() == [8, 9, 0, -100, 4]
    assert ptk_data.example(window, "causal")["position_ids"].tolist() == [0, 1, 2, 3, 4]
    # without mask_seams, a seam token with loss mask 1 stays a target
    seamless = ptk_data.Window(np.array([8, 9, 4], np.uint16), np.array([1, 1, 1], np.uint8),
                               np.array([0, 2, 3], np.int32), np.array([[0, 0], [1, 0]]))
    assert ptk_data.example(seamless, "document", mask_seams=False)["labels"].tolist() == [8, 9, 4]
    assert ptk_data.example(seamless, "document", mask_seams=True)["labels"].tolist() == [8, 9, -100]


def test_reader_without_torch_needs_numpy_only():
    import subprocess
    import sys
    code = ("import sys; sys.modules['torch'] = None; sys.path.insert(0, %r); import ptk_data; "
            "w = ptk_data.Window([1, 2], [1, 1], [0, 2], [[0, 0]]); print(ptk_data.example(w, 'document')['labels'])"
            % ptk_data.__file__.rsplit("/", 1)[0])
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "[1 2]" in out.stdout


def test_cooldown_set_and_ordinals(tmp_path):
    train = shard_fixture.synthetic_documents(10, seed=1)
    cool = shard_fixture.synthetic_documents(4, seed=2)
    shard_fixture.write_folder(str(tmp_path), *train, strategy="pad", seq_len=16, cooldown=cool)
    folder = ptk_data.PackedFolder(str(tmp_path))
    assert folder.sets == ["train", "cooldown"]
    ordinals = {int(o) for w in folder.windows("cooldown") for o in w.segments[:, 0] if o >= 0}
    assert ordinals == {10, 11, 12, 13}
    assert len(ptk_data.PackedDataset(str(tmp_path), set="cooldown")) == folder.windows_in("cooldown")
