"""(d) The smoke training run: train_tiny_gpt.py on a generated folder of repetitive documents, on CPU, ends
with a clearly lower loss."""
import json
import os
import subprocess
import sys
import time

import pytest

import shard_fixture
from conftest import PYTHON_DIR

SCRIPT = os.path.join(PYTHON_DIR, "train_tiny_gpt.py")


def train(folder, *extra):
    started = time.monotonic()
    done = subprocess.run([sys.executable, SCRIPT, "--data", str(folder), "--device", "cpu", "--seed", "1",
                           *extra], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.strip().splitlines()
    assert any(line.startswith("step 1 loss") for line in lines)
    return json.loads(lines[-1]), time.monotonic() - started


@pytest.mark.parametrize("strategy,positions", [("docmask", "rope"), ("concat", "learned")])
def test_smoke_training_loss_drops(tmp_path, strategy, positions):
    sequences, masks = shard_fixture.repetitive_documents(300, seed=0, vocab_size=64)
    shard_fixture.write_folder(str(tmp_path), sequences, masks, strategy=strategy, seq_len=64, vocab_size=64)
    result, seconds = train(tmp_path, "--steps", "60", "--batch-size", "8", "--log-every", "20",
                            "--positions", positions)
    assert result["steps"] == 60
    assert result["tokens_per_s"] > 0
    assert result["backend"] == "sdpa" and result["device"] == "cpu"
    assert result["last_loss"] < 0.5 * result["first_loss"], result
    assert seconds < 60


def test_learning_rate_schedule():
    sys.path.insert(0, PYTHON_DIR)
    import train_tiny_gpt as tg
    rates = [tg.lr_at(s, 100, 10, 1.0) for s in range(100)]
    assert rates[0] == pytest.approx(0.1) and rates[9] == pytest.approx(1.0)
    assert all(a >= b for a, b in zip(rates[9:], rates[10:]))
    assert tg.lr_at(100, 100, 10, 1.0) == pytest.approx(0.1)
