#!/usr/bin/env python3
"""Reference answers from datatrove 0.10.1 (spaCy 3.8.18 English tokenizer) for the Swift Cleaning tests and
`ptk bench filters`; offline.

stdin: one JSON object with
  "documents": [{"id": str, "text": str}, ...]
  "filters": names among gopher_quality, gopher_repetition, c4, c4_badwords, fineweb (datatrove defaults)
  optional "badwords": [str, ...]   the list C4BadWordsFilter reads for "en" instead of downloading LDNOOBW's
                                    (its loader is patched to read a temporary file holding these lines)
  optional "tokenize": true         also return per document "tokens" (spaCy token texts, whitespace tokens
                                    included), "words" (datatrove split_into_words) and "sentences" (the number of
                                    parts split_into_sentences returns)
  optional "timing": n              run each filter n times over all documents and return seconds per filter
                                    (the tokenizer warmed up first, datatrove's split cache cleared per filter), and "results" of the last run
stdout: one JSON object: "results": {filter: [[keep, reason or null, text or null], ...]} (text: the C4 filter's
  modified text of a kept document), "tokens", "words", "sentences", "seconds": {filter: s}, "versions".
"""
import json
import os
import sys
import tempfile
import time


def versions():
    import importlib.metadata as md

    return {name: md.version(name) for name in ("datatrove", "spacy")}


def make_filters(names, badwords_path):
    from datatrove.pipeline.filters import c4_filters
    from datatrove.pipeline.filters.c4_filters import C4BadWordsFilter, C4QualityFilter
    from datatrove.pipeline.filters.fineweb_quality_filter import FineWebQualityFilter
    from datatrove.pipeline.filters.gopher_quality_filter import GopherQualityFilter
    from datatrove.pipeline.filters.gopher_repetition_filter import GopherRepetitionFilter

    if badwords_path is not None:
        c4_filters.cached_asset_path_or_download = lambda *args, **kwargs: badwords_path
    made = {}
    for name in names:
        if name == "gopher_quality":
            made[name] = GopherQualityFilter()
        elif name == "gopher_repetition":
            made[name] = GopherRepetitionFilter()
        elif name == "c4":
            made[name] = C4QualityFilter()
        elif name == "c4_badwords":
            made[name] = C4BadWordsFilter()
        elif name == "fineweb":
            made[name] = FineWebQualityFilter()
        else:
            raise SystemExit(f"unknown filter {name}")
    return made


def run_filter(f, doc_id, text):
    from datatrove.data import Document

    doc = Document(text=text, id=doc_id)
    answer = f.filter(doc)
    if answer is True:
        return [True, None, doc.text]
    if isinstance(answer, tuple):
        return [bool(answer[0]), answer[1], None if not answer[0] else doc.text]
    return [bool(answer), None, doc.text if answer else None]


def main():
    request = json.loads(sys.stdin.buffer.read())
    documents = request.get("documents", [])
    names = request.get("filters", [])
    badwords_path = None
    tmp = None
    if "badwords" in request:
        tmp = tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False, encoding="utf-8")
        tmp.write("".join(w + "\n" for w in request["badwords"]))
        tmp.close()
        badwords_path = tmp.name
    try:
        from datatrove.utils import text as dt_text
        from datatrove.utils.text import split_into_sentences, split_into_words
        from datatrove.utils.word_tokenizers import load_word_tokenizer

        answer = {"versions": versions()}
        filters = make_filters(names, badwords_path)
        if request.get("tokenize"):
            tok = load_word_tokenizer("en")
            nlp = tok.tokenizer
            tokens, words, sentences = [], [], []
            for d in documents:
                with nlp.memory_zone():
                    nlp.max_length = len(d["text"]) + 10
                    tokens.append([t.text for t in nlp(d["text"])])
                words.append(split_into_words(d["text"]))
                sentences.append(len(split_into_sentences(d["text"])))
            answer["tokens"], answer["words"], answer["sentences"] = tokens, words, sentences
        repeat = int(request.get("timing", 0))
        if repeat:
            split_into_words("Warm the tokenizer up. It loads spaCy once.")
            seconds, results = {}, {}
            for name, f in filters.items():
                dt_text.split_into_parts.cache_clear()
                start = time.perf_counter()
                for _ in range(repeat):
                    results[name] = [run_filter(f, d["id"], d["text"]) for d in documents]
                    dt_text.split_into_parts.cache_clear()
                seconds[name] = (time.perf_counter() - start) / repeat
            answer["seconds"], answer["results"] = seconds, results
        else:
            answer["results"] = {
                name: [run_filter(f, d["id"], d["text"]) for d in documents] for name, f in filters.items()
            }
        sys.stdout.write(json.dumps(answer, ensure_ascii=False))
    finally:
        if tmp is not None:
            os.unlink(tmp.name)


if __name__ == "__main__":
    main()
