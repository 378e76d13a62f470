#!/usr/bin/env python3
"""Reference answers from datatrove 0.10.1's PIIFormatter (datatrove/pipeline/formatters/pii.py) for the Swift
PII tests; offline.

The formatter's own compiled patterns are used: `emails_replacer.regex` and `ip_replacer.regex` with its
validator (`ipaddress.ip_address`). Both patterns are run with finditer on the original text (the formatter
runs the IP pattern on the text after e-mail replacement; no test text has an IP inside an e-mail address).

stdin: {"texts": [str, ...]}
stdout: {"matches": [[[kind, start, end, is_global], ...] per text], "versions": {...}}
  kind "email" or "ipv4"; start/end are UTF-8 byte offsets; is_global is the validator's public-IP test
  (true for e-mails). With the default only_remove_public_ips=True datatrove replaces only is_global IPs.
"""
import ipaddress
import json
import sys


def byte_offsets(text):
    offsets = [0]
    for ch in text:
        offsets.append(offsets[-1] + len(ch.encode("utf-8")))
    return offsets


def main():
    from datatrove.pipeline.formatters.pii import PIIFormatter
    import importlib.metadata as md

    request = json.load(sys.stdin)
    formatter = PIIFormatter()
    answers = []
    for text in request["texts"]:
        offsets = byte_offsets(text)
        found = []
        for m in formatter.emails_replacer.regex.finditer(text):
            found.append(["email", offsets[m.start()], offsets[m.end()], True])
        for m in formatter.ip_replacer.regex.finditer(text):
            try:
                is_global = ipaddress.ip_address(m.group(0)).is_global
            except ValueError:
                continue
            found.append(["ipv4", offsets[m.start()], offsets[m.end()], is_global])
        answers.append(found)
    json.dump({"matches": answers, "versions": {"datatrove": md.version("datatrove")}}, sys.stdout)


if __name__ == "__main__":
    main()
