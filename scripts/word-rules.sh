#!/usr/bin/env bash
# Extracts the English word rules of datatrove's quality filters (spaCy 3.8.18's tokenizer data, datatrove
# 0.10.1's punctuation sets) into ${PTK_WORD_RULES:-~/.cache/ptk/word-rules/spacy-3.8.18-datatrove-0.10.1.json},
# which gopher_quality, gopher_repetition, c4 and fineweb read at run time. The data is theirs, so it is made
# here from the pinned PyPI packages instead of being committed. Uses a small venv of its own
# (~/.cache/ptk/word-rules/venv: spacy and datatrove without its heavy dependencies); about 30 s the first time,
# instant afterwards. Prints the file's path.
set -euo pipefail
cd "$(dirname "$0")/.."
cache="${XDG_CACHE_HOME:-$HOME/.cache}/ptk/word-rules"
out="${PTK_WORD_RULES:-$cache/spacy-3.8.18-datatrove-0.10.1.json}"
if [ -s "$out" ]; then
    echo "$out"
    exit 0
fi
mkdir -p "$cache" "$(dirname "$out")"
venv="$cache/venv"
command -v python3 >/dev/null || { echo "python3 is not on PATH: install Python 3.9 or newer" >&2; exit 1; }
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv" || {
        echo "could not create $venv: on Debian/Ubuntu install python3-venv (apt-get install python3-venv)" >&2
        exit 1
    }
fi
"$venv/bin/python" -m pip install --disable-pip-version-check --quiet "spacy==3.8.18" "regex==2026.5.9" >&2
"$venv/bin/python" -m pip install --disable-pip-version-check --quiet --no-deps "datatrove==0.10.1" >&2
"$venv/bin/python" scripts/gen_word_rules.py "$out.tmp"
mv "$out.tmp" "$out"
echo "$out"
