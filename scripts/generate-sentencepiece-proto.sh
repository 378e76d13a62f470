#!/usr/bin/env bash
# Regenerates Sources/Tokenization/SentencePiece/sentencepiece_model.pb.swift from our own minimal
# sentencepiece_model.proto (the fields of SentencePiece's ModelProto that we read, with its field numbers).
# The generated file is committed: the build does not run protoc and needs no build plugin.
#
# Needs protoc (Debian: apt-get install -y protobuf-compiler) and protoc-gen-swift of the swift-protobuf version
# that Package.resolved pins, built once from its source, e.g.:
#   git clone https://github.com/apple/swift-protobuf /tmp/swift-protobuf && cd /tmp/swift-protobuf \
#     && git checkout 1.39.0 && swift build -c release --product protoc-gen-swift
# Then: PROTOC_GEN_SWIFT=/tmp/swift-protobuf/.build/release/protoc-gen-swift scripts/generate-sentencepiece-proto.sh
set -euo pipefail
cd "$(dirname "$0")/.."

plugin="${PROTOC_GEN_SWIFT:-$(command -v protoc-gen-swift || true)}"
[ -x "$plugin" ] || { echo "protoc-gen-swift not found: set PROTOC_GEN_SWIFT (see the comment above)" >&2; exit 1; }
command -v protoc >/dev/null || { echo "protoc not found: apt-get install -y protobuf-compiler" >&2; exit 1; }

dir=Sources/Tokenization/SentencePiece
protoc --plugin=protoc-gen-swift="$plugin" --proto_path="$dir" --swift_opt=Visibility=Internal \
    --swift_out="$dir" "$dir/sentencepiece_model.proto"
echo "wrote $dir/sentencepiece_model.pb.swift" >&2
