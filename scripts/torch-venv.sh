#!/usr/bin/env bash
# Creates (or updates) the venv of the Python companion (python/ptk_data.py, python/train_tiny_gpt.py, their
# tests in python/tests/) and of scripts/reference_megatron.py: torch, megatron-core, numpy, tokenizers, pytest.
# It is kept apart from the reference venv (scripts/reference-venv.sh) so that torch never changes what
# transformers does there, and so that changing one package list does not reinstall the other venv.
# The venv lives at ${PTK_TORCH_VENV:-.venv-torch}, relative to the repository root; a stamp file records the
# installed list, and a second run with the same list returns at once. Prints the venv's python as an absolute
# path on stdout (progress goes to stderr), e.g. PTK_TORCH_PYTHON="$(scripts/torch-venv.sh)".
#
# torch: a CPU build is enough (the tests train a tiny model on CPU). PyPI's Linux x86_64 torch wheel is a CUDA
# build (527 MB) that does not import without its ~2 GB of nvidia-* / cuda-* wheels (installing it with
# --no-deps fails at `import torch`: libcudart.so.13 not found); PyPI has no CPU-only build (local versions such
# as +cpu are not allowed there). So: when pip can find torch==$torch_version+cpu without an index (a wheel in
# a --find-links folder: this project's machine image has one in /opt/wheels, through PIP_FIND_LINKS), that
# build is installed (192 MB, under a minute for the whole venv); otherwise the PyPI build with its CUDA
# dependencies (2.6 GB of wheels downloaded, 4.8 GB installed, about 3 minutes here). Those wheels are kept
# under ~/.cache/ptk/wheels/torch-VERSION-KEY ($PTK_WHEEL_CACHE overrides the folder), so a later install only
# unpacks them (about 2 minutes). Both builds import and run on CPU.
set -euo pipefail
cd "$(dirname "$0")/.."

torch_version="2.13.0"
# Pinned packages besides torch, one per line. The stamp makes the next run reinstall when this list changes.
packages=(
    "megatron-core==0.16.1"  # IndexedDataset, the reference reader of the .bin/.idx files (needs torch, numpy, packaging)
    "numpy==2.4.6"           # ptk_data's reader
    "tokenizers==0.23.3"     # scripts/reference_megatron.py: the documents' text ids (same pin as the reference venv)
    "pytest==9.2.0"          # python/tests
    "sentence-transformers==5.3.0"  # reference sentence embeddings (scripts/reference_embed.py); pulls transformers
    "faiss-cpu==1.15.1"      # reference exact and IVF nearest neighbours (IndexFlatIP, IndexIVFFlat)
)

venv="${PTK_TORCH_VENV:-.venv-torch}"
python="$venv/bin/python"
stamp="$venv/.ptk-torch-packages"

absolute() { echo "$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"; }

command -v python3 >/dev/null || { echo "python3 is not on PATH: install Python 3.10 or newer" >&2; exit 1; }
if [ ! -x "$python" ]; then
    echo "creating the torch venv at $venv" >&2
    python3 -m venv "$venv" || {
        echo "could not create $venv: on Debian/Ubuntu install python3-venv (apt-get install python3-venv)" >&2
        exit 1
    }
fi

# The CPU build when a --find-links folder has it (no index asked), else PyPI's build.
torch="torch==$torch_version"
if "$python" -m pip install --disable-pip-version-check --quiet --dry-run --no-index --no-deps \
        "torch==$torch_version+cpu" >/dev/null 2>&1; then
    torch="torch==$torch_version+cpu"
fi
wanted="$(printf '%s\n' "$torch" "${packages[@]}")"

if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$wanted" ]; then
    absolute "$python"
    exit 0
fi
if [ "$torch" = "torch==$torch_version" ]; then
    echo "no CPU build of torch $torch_version in a --find-links folder: installing PyPI's (CUDA) build with its" \
         "nvidia dependencies (about 2.6 GB to download unless cached under ~/.cache/ptk/wheels)" >&2
fi
echo "installing into $venv: $torch ${packages[*]}" >&2
started=$SECONDS
if [ "$torch" = "torch==$torch_version" ]; then
    # pip's own HTTP cache does not keep these downloads here, so the wheels are kept in a folder of ours, keyed
    # by the pins and the Python version; `pip download` skips the files it already holds.
    key="$(printf '%s\n' "$wanted" "$("$python" -c 'import sys; print(sys.version_info[:2])')" | sha256sum | cut -c1-16)"
    wheels="${PTK_WHEEL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/ptk/wheels}/torch-$torch_version-$key"
    mkdir -p "$wheels"
    "$python" -m pip download --disable-pip-version-check --quiet -d "$wheels" "$torch" "${packages[@]}" >&2
    "$python" -m pip install --disable-pip-version-check --quiet --no-index --find-links "$wheels" \
        "$torch" "${packages[@]}" >&2
else
    "$python" -m pip install --disable-pip-version-check --quiet "$torch" "${packages[@]}" >&2
fi
echo "torch venv ready in $((SECONDS - started)) s" >&2
printf '%s\n' "$wanted" >"$stamp"
absolute "$python"
