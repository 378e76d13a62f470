"""(a) The attention masks the companion builds equal the definition, brute force: token i may attend j iff
j <= i and seg(i) == seg(j), seg from cu_seqlens; for attention "causal" the plain causal mask. Also: the
flattened (varlen) batch and flex_attention's block mask describe the same attention as the SDPA mask."""
import numpy as np
import pytest
import torch

import ptk_data
import shard_fixture

SEEDS = [0, 1, 2, 3, 4, 5]


def brute_force(cu_seqlens, attention):
    cu = [int(c) for c in cu_seqlens]
    length = cu[-1]

    def seg(i):
        for k in range(len(cu) - 1):
            if cu[k] <= i < cu[k + 1]:
                return k
        raise AssertionError(i)

    mask = np.zeros((length, length), dtype=bool)
    for i in range(length):
        for j in range(length):
            mask[i, j] = j <= i and (attention == "causal" or seg(i) == seg(j))
    return mask


def random_cu_seqlens(rng, length):
    cuts = rng.choice(np.arange(1, length), size=int(rng.integers(0, min(length - 1, 9) + 1)), replace=False)
    return np.concatenate([[0], np.sort(cuts), [length]]).astype(np.int32)


def random_window(rng, length):
    cu = random_cu_seqlens(rng, length)
    segments = np.stack([np.arange(len(cu) - 1), np.zeros(len(cu) - 1)], axis=1).astype(np.int64)
    tokens = rng.integers(0, 50, size=length).astype(np.uint16)
    lossmask = rng.integers(0, 2, size=length).astype(np.uint8)
    return ptk_data.Window(tokens, lossmask, cu, segments)


def item(window, attention):
    return {k: torch.from_numpy(v) if isinstance(v, np.ndarray) else v
            for k, v in ptk_data.example(window, attention).items()}


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("attention", ["document", "causal"])
def test_masks_equal_brute_force_on_random_windows(seed, attention):
    rng = np.random.default_rng(seed)
    length = int(rng.integers(2, 48))
    windows = [random_window(rng, length) for _ in range(4)]
    batch = ptk_data.collate_sdpa([item(w, attention) for w in windows])
    assert batch["attention_mask"].shape == (4, 1, length, length)
    assert batch["attention_mask"].dtype == torch.bool
    for b, w in enumerate(windows):
        want = brute_force(w.cu_seqlens, attention)
        assert np.array_equal(ptk_data.attention_mask(w.cu_seqlens, attention), want)
        assert np.array_equal(batch["attention_mask"][b, 0].numpy(), want)
        if attention == "causal":
            assert np.array_equal(want, np.tril(np.ones((length, length), dtype=bool)))


@pytest.mark.parametrize("seed", SEEDS[:3])
@pytest.mark.parametrize("strategy", ["docmask", "bestfit", "pad", "concat"])
def test_masks_of_a_packed_folder(tmp_path, seed, strategy):
    sequences, masks = shard_fixture.synthetic_documents(40, seed=seed, bos_id=1)
    shard_fixture.write_folder(str(tmp_path), sequences, masks, strategy=strategy, seq_len=24,
                               windows_per_shard=5)
    dataset = ptk_data.PackedDataset(str(tmp_path))
    attention = "causal" if strategy == "concat" else "document"
    assert dataset.attention == attention
    for start in range(0, len(dataset), 4):
        items = [dataset[i] for i in range(start, min(start + 4, len(dataset)))]
        batch = ptk_data.collate_sdpa(items)
        for b, it in enumerate(items):
            assert it["attention"] == attention
            want = brute_force(it["cu_seqlens"].numpy(), attention)
            assert np.array_equal(batch["attention_mask"][b, 0].numpy(), want)


def test_varlen_flattening_offsets_cu_seqlens(tmp_path):
    rng = np.random.default_rng(7)
    windows = [random_window(rng, 16) for _ in range(3)]
    batch = ptk_data.collate_varlen([item(w, "document") for w in windows])
    want = [0]
    for b, w in enumerate(windows):
        want += [int(c) + 16 * b for c in w.cu_seqlens[1:]]
    assert batch["cu_seqlens"].dtype == torch.int32
    assert batch["cu_seqlens"].tolist() == want
    assert batch["input_ids"].shape == (1, 48)
    assert batch["max_seqlen"] == max(np.diff(want))
    # the flattened row's block-diagonal causal mask is the per-sample masks on the diagonal
    flat = brute_force(batch["cu_seqlens"].numpy(), "document")
    for b, w in enumerate(windows):
        assert np.array_equal(flat[16 * b:16 * (b + 1), 16 * b:16 * (b + 1)], brute_force(w.cu_seqlens, "document"))
    assert not flat[16:, :16].any() and not flat[32:, 16:32].any()
    # labels: as the samples', plus -100 at each sample's first token (the shift must not cross samples)
    labels = batch["labels"][0].numpy()
    for b, w in enumerate(windows):
        want_labels = ptk_data.labels(w.tokens, w.lossmask, w.cu_seqlens)
        want_labels[0] = ptk_data.IGNORE_INDEX
        assert np.array_equal(labels[16 * b:16 * (b + 1)], want_labels)
    causal = ptk_data.collate_varlen([item(w, "causal") for w in windows])
    assert causal["cu_seqlens"].tolist() == [0, 16, 32, 48]
    assert causal["position_ids"][0].tolist() == list(range(16)) * 3


def test_model_sees_the_same_attention_through_every_path(tmp_path):
    """The tiny GPT's logits: batched SDPA mask == flattened varlen row (emulated with SDPA and its
    cu_seqlens) == flex_attention's block mask."""
    import train_tiny_gpt as tg
    sequences, masks = shard_fixture.synthetic_documents(30, seed=3, bos_id=1)
    shard_fixture.write_folder(str(tmp_path), sequences, masks, strategy="bestfit", seq_len=32)
    dataset = ptk_data.PackedDataset(str(tmp_path))
    items = [dataset[i] for i in range(4)]
    torch.manual_seed(0)
    model = tg.TinyGPT(256, width=32, layers=2, heads=4, max_positions=32).eval()
    with torch.no_grad():
        batch = ptk_data.collate_sdpa(items)
        ctx = tg.batch_context(batch, "sdpa", torch.device("cpu"), None)
        batched = model(batch["input_ids"], batch["position_ids"], ctx)
        flat = ptk_data.collate_varlen(items)
        mask = torch.from_numpy(ptk_data.attention_mask(flat["cu_seqlens"].numpy()))[None, None]
        row = model(flat["input_ids"], flat["position_ids"], {"backend": "sdpa", "mask": mask})
        torch.testing.assert_close(row[0].view(4, 32, -1), batched, rtol=1e-4, atol=1e-5)
        if tg.flex_functions() is not None:
            flexed = model(batch["input_ids"], batch["position_ids"],
                           tg.batch_context(batch, "flex", torch.device("cpu"), tg.flex_functions()))
            torch.testing.assert_close(flexed, batched, rtol=1e-4, atol=1e-5)
        # and a segment on its own gives the same logits as inside the window (nothing leaks across)
        cu = items[0]["cu_seqlens"].tolist()
        for k in range(len(cu) - 1):
            ids = items[0]["input_ids"][cu[k]:cu[k + 1]][None]
            alone = model(ids, torch.arange(ids.shape[1])[None],
                          {"backend": "sdpa", "mask": torch.ones(ids.shape[1], ids.shape[1]).tril().bool()})
            torch.testing.assert_close(alone[0], batched[0, cu[k]:cu[k + 1]], rtol=1e-4, atol=1e-5)
