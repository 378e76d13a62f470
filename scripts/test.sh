#!/usr/bin/env bash
# The test command: install the prerequisites and the reference tools, build, and run every test.
# Reference tools are installed from PyPI into a venv by scripts/reference-venv.sh (pinned versions, reused
# while the pins are unchanged); the multilingual test corpus comes from Debian's archive through
# scripts/multilingual-corpus.sh (cached under ~/.cache/ptk); neither is committed.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
PTK_REFERENCE_PYTHON="$(bash scripts/reference-venv.sh)"
export PTK_REFERENCE_PYTHON
PTK_CORPUS_DIR="$(bash scripts/multilingual-corpus.sh)"
export PTK_CORPUS_DIR
swift build --build-tests
swift test --skip-build "$@"
