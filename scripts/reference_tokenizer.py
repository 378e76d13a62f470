"""What the reference scripts share about HF tokenizer files: loading one to encode as ptk does, and publishing
a generated fixture file atomically."""
import os


def load_as_ptk(path):
    """A `tokenizers.Tokenizer` that encodes as ptk's `encodeOrdinary` (with `add_special_tokens=False`):
    special-token strings are text, and a file's truncation and padding (BERT files set 128) are off."""
    import tokenizers

    tok = tokenizers.Tokenizer.from_file(path)
    tok.encode_special_tokens = True
    tok.no_truncation()
    tok.no_padding()
    return tok


def publish(target, write):
    """Calls `write(partial_path)`, then renames the file to `target`: a concurrent reader never sees half a
    file. Creates the folder."""
    os.makedirs(os.path.dirname(target), exist_ok=True)
    partial = target + f".{os.getpid()}.partial"
    write(partial)
    os.replace(partial, target)
