"""Shared fixtures of the companion's tests: the import path, a tiny tokenizer.json and packed folders written
by the test fixture generator (shard_fixture.py, not ptk's writer)."""
import os
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
PYTHON_DIR = os.path.dirname(HERE)
ROOT = os.path.dirname(PYTHON_DIR)
# scripts/ as well: reference_megatron.py, loaded from its file by test_megatron.py, imports its neighbours there
# (as it does when run as a script, its folder being first on the path).
for path in (os.path.join(ROOT, "scripts"), PYTHON_DIR, HERE):
    if path not in sys.path:
        sys.path.insert(0, path)

import shard_fixture  # noqa: E402


@pytest.fixture(scope="session")
def tokenizer_file(tmp_path_factory):
    """A small byte-level BPE tokenizer.json trained here (no download): <|endoftext|> = 0, <s> = 1."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=400, special_tokens=["<|endoftext|>", "<s>"],
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
    tokenizer.train_from_iterator(shard_fixture.sample_texts(200, seed=99), trainer)
    path = str(tmp_path_factory.mktemp("tokenizer") / "tokenizer.json")
    tokenizer.save(path)
    return path
