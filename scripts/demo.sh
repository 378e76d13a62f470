#!/usr/bin/env bash
# One command for a newcomer: install the prerequisites, build ptk (release), generate the demo corpus and
# run the default recipe on it. Extra arguments go to `ptk demo` (e.g. --documents 100000 --output DIR).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
bash scripts/word-rules.sh >/dev/null   # the quality filters' English word rules (spaCy data, extracted once)
swift build -c release --product ptk
.build/release/ptk demo "$@"
