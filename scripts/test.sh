#!/usr/bin/env bash
# The test command: install the prerequisites and the reference tools, build, and run every test.
# Reference tools are installed from PyPI into a venv by scripts/reference-venv.sh (pinned versions, reused
# while the pins are unchanged); the multilingual test corpus comes from Debian's archive through
# scripts/multilingual-corpus.sh (cached under ~/.cache/ptk), and the English word rules of the quality filters
# (spaCy's and datatrove's data) are extracted by scripts/word-rules.sh; none of it is committed. The Python companion
# (python/: the packed-folder reader, PackedDataset, the tiny GPT) and scripts/reference_megatron.py run in a
# second venv with torch and megatron-core, made by scripts/torch-venv.sh ($PTK_TORCH_PYTHON); its pytest suite
# runs after the Swift tests (PTK_PYTHON_TESTS=0 skips it).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
PTK_REFERENCE_PYTHON="$(bash scripts/reference-venv.sh)"
export PTK_REFERENCE_PYTHON
PTK_TORCH_PYTHON="$(bash scripts/torch-venv.sh)"
export PTK_TORCH_PYTHON
PTK_CORPUS_DIR="$(bash scripts/multilingual-corpus.sh)"
export PTK_CORPUS_DIR
PTK_WORD_RULES="$(bash scripts/word-rules.sh)"
export PTK_WORD_RULES
swift build --build-tests
swift test --skip-build "$@"
if [ "${PTK_PYTHON_TESTS:-1}" != "0" ]; then
    "$PTK_TORCH_PYTHON" -m pytest -q python/tests
fi
