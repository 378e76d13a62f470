#!/usr/bin/env bash
# The test command: install the prerequisites, build, and run every test (Swift Testing).
# Reference tools (Python venvs with tokenizers, megatron-core, datatrove…) join here as the issues that
# need them land; each is installed by the project's own script at test time, never committed.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
swift build --build-tests
swift test --skip-build "$@"
