#!/usr/bin/env bash
# Fetches the real multilingual text the tokenizer reference tests compare on, from Debian's archive: the Debian
# Reference in English, Simplified Chinese, Japanese, German and French (plain-text editions) and the Chinese
# fortunes (fortunes-zh: classical poems, sayings, text with ANSI escapes). Nothing is installed or committed:
# the .deb files are downloaded with `apt-get download` and only the text files are unpacked, into
# ${PTK_CORPUS_DIR:-~/.cache/ptk/multilingual-corpus}. Idempotent; prints the directory on stdout.
set -euo pipefail
dir="${PTK_CORPUS_DIR:-$HOME/.cache/ptk/multilingual-corpus}"
packages=(debian-reference-en debian-reference-zh-cn debian-reference-ja debian-reference-de debian-reference-fr
          fortunes-zh)
stamp="$dir/.packages"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "${packages[*]}" ]; then
    echo "$dir"
    exit 0
fi
mkdir -p "$dir"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$work"
if ! apt-get download "${packages[@]}" >/dev/null 2>&1; then
    echo "fetching Debian package lists for the multilingual corpus" >&2
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    apt-get download "${packages[@]}" >/dev/null 2>&1 || {
        echo "could not download ${packages[*]} with apt-get download" >&2
        exit 1
    }
fi
for deb in *.deb; do dpkg-deb -x "$deb" unpacked; done
for txt in unpacked/usr/share/debian-reference/debian-reference.*.txt.gz; do
    gzip -dc "$txt" > "$dir/$(basename "$txt" .gz)"
done
for name in chinese tang300 song100; do cp "unpacked/usr/share/games/fortunes/$name" "$dir/fortunes-zh-$name.txt"; done
ls *.deb > "$dir/.debs"
echo "${packages[*]}" > "$stamp"
echo "$dir"
