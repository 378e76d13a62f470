#!/usr/bin/env bash
# Installs what PretrainKit needs to build and test on Debian/Ubuntu: the C libraries behind the zstd and
# gzip streams, the regex fallback of tokenizer.json Split patterns (PCRE2) and SHA-256 for DSIR (libcrypto,
# whose assembly uses the CPU's SHA extensions) and the matrix products of sentence embeddings (OpenBLAS), all
# through system-library targets, and the zstd CLI (tests and `ptk bench io` compare against it).
# Swift 6 itself must already be on PATH.
set -euo pipefail
need=()
for pkg in libzstd-dev zlib1g-dev libpcre2-dev libssl-dev libopenblas-dev zstd pkg-config; do
    dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
done
if [ ${#need[@]} -gt 0 ]; then
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    echo "installing: ${need[*]}" >&2
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need[@]}" >/dev/null
fi
command -v swift >/dev/null || { echo "swift is not on PATH: install Swift 6 first" >&2; exit 1; }
