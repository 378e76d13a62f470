#!/usr/bin/env bash
# The test command: install the prerequisites and the reference tools, build, and run every test.
# Reference tools are installed from PyPI into a venv by scripts/reference-venv.sh (pinned versions, reused
# while the pins are unchanged); never committed.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
PTK_REFERENCE_PYTHON="$(bash scripts/reference-venv.sh)"
export PTK_REFERENCE_PYTHON
swift build --build-tests
swift test --skip-build "$@"
