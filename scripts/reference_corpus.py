#!/usr/bin/env python3
"""Real text for the reference tests: multilingual prose from Debian's archive and Python's standard library.

`real_texts(limit)` returns about `limit` bytes of documents, alternating between sources so that any limit
gives a mix: the Debian Reference in English, Chinese, Japanese, German and French (chunks of whole paragraphs,
about 4 KB each), Chinese fortunes (about 2 KB of whole fortunes each, ANSI escapes included) and whole .py files
of the standard library. The Debian text comes from scripts/multilingual-corpus.sh ($PTK_CORPUS_DIR, else
~/.cache/ptk/multilingual-corpus); a missing corpus is an error, not a silent skip.
"""
import os
import sysconfig

CHUNK = 4000


def corpus_dir():
    directory = os.environ.get("PTK_CORPUS_DIR") or os.path.expanduser("~/.cache/ptk/multilingual-corpus")
    if not os.path.exists(os.path.join(directory, ".packages")):
        raise SystemExit(f"multilingual corpus missing at {directory}: run scripts/multilingual-corpus.sh")
    return directory


def read(path):
    with open(path, encoding="utf-8", newline="") as handle:
        return handle.read()


def chunks(text, separator, size):
    """Whole parts of `text` (split at `separator`) grouped into documents of about `size` characters."""
    documents, current, length = [], [], 0
    for part in text.split(separator):
        current.append(part)
        length += len(part)
        if length >= size:
            documents.append(separator.join(current))
            current, length = [], 0
    if current:
        documents.append(separator.join(current))
    return [d for d in documents if d.strip()]


def stdlib_files():
    root = sysconfig.get_paths()["stdlib"]
    paths = []
    for directory, subdirs, files in os.walk(root):
        subdirs[:] = sorted(d for d in subdirs if d not in ("site-packages", "__pycache__"))
        paths.extend(os.path.join(directory, f) for f in files if f.endswith(".py"))
    for path in sorted(paths):
        try:
            yield read(path)
        except (UnicodeDecodeError, OSError):
            continue


def sources():
    directory = corpus_dir()
    result = []
    for name in sorted(os.listdir(directory)):
        path = os.path.join(directory, name)
        if name.startswith("debian-reference."):
            result.append(iter(chunks(read(path), "\n\n", CHUNK)))
        elif name.startswith("fortunes-zh-"):
            result.append(iter(chunks(read(path), "\n%\n", CHUNK // 2)))
    result.append(stdlib_files())
    return result


def stdlib_texts(limit):
    """Whole .py files of the standard library, sorted by path, about `limit` bytes in all."""
    texts, total = [], 0
    for text in stdlib_files():
        texts.append(text)
        total += len(text.encode("utf-8"))
        if total >= limit:
            break
    return texts


def real_texts(limit):
    """About `limit` bytes of real documents, taken in turn from each source."""
    texts, total = [], 0
    active = sources()
    while active and total < limit:
        for source in list(active):
            text = next(source, None)
            if text is None:
                active.remove(source)
                continue
            texts.append(text)
            total += len(text.encode("utf-8"))
            if total >= limit:
                break
    return texts


if __name__ == "__main__":
    texts = real_texts(3_000_000)
    print(len(texts), "documents,", sum(len(t.encode("utf-8")) for t in texts), "bytes")
