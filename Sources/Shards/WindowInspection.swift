import Foundation

/// One window of a packed folder laid out for people (`ptk inspect`): its segments, its loss mask as runs, its
/// tokens and, given a decoder, each segment's text.
///
/// ```
/// let w = try WindowInspection.load(folder: "out", set: "train", window: 5)
/// print(w.render())
/// // train window 5: shard rank-00000-00000, window 5 of 12; seq_len 16
/// // segments:
/// //   0: document 12, offset 0, positions 0..<10 (10 tokens, 9 in the loss)
/// //   1: padding, positions 10..<16 (6 tokens, 0 in the loss)
/// // loss mask runs: 0..<1 = 0, 1..<10 = 1, 10..<16 = 0
/// ```
public struct WindowInspection: Codable, Sendable, Equatable {
    /// One segment: a run of one document's tokens, or the padding.
    public struct Segment: Codable, Sendable, Equatable {
        /// The document's index in documents.jsonl.zst; −1 for padding.
        public var ordinal: Int64
        /// The offset of the segment's first token in its document's token sequence.
        public var offset: Int64
        /// The segment's first position in the window.
        public var start: Int
        public var length: Int
        public var padding: Bool
        public var lossTokens: Int
        /// The segment's tokens decoded (lossy UTF-8), when a decoder was given.
        public var text: String?

        enum CodingKeys: String, CodingKey {
            case ordinal, offset, start, length, padding, text
            case lossTokens = "loss_tokens"
        }
    }

    /// A run of equal loss-mask values.
    public struct MaskRun: Codable, Sendable, Equatable {
        public var value: UInt8
        public var start: Int
        public var length: Int
    }

    public var set: String
    /// The window's index in the set (over all its shards).
    public var window: Int
    public var shard: String
    /// The window's index in its shard, and the shard's window count.
    public var shardWindow: Int
    public var shardWindows: Int
    public var seqLen: Int
    public var segments: [Segment]
    public var lossMask: [MaskRun]
    public var tokens: [UInt32]

    enum CodingKeys: String, CodingKey {
        case set, window, shard, segments, tokens
        case shardWindow = "shard_window"
        case shardWindows = "shard_windows"
        case seqLen = "seq_len"
        case lossMask = "loss_mask"
    }

    /// Lays out `packed` (a well-formed window, `PackedWindow.problem(seqLen:)` nil).
    ///
    /// - Parameter decode: turns a segment's token ids into text; nil leaves `text` out.
    public init(_ packed: PackedWindow, set: String, window: Int, shard: String, shardWindow: Int, shardWindows: Int,
                decode: (([UInt32]) -> String)? = nil)
    {
        self.set = set
        self.window = window
        self.shard = shard
        self.shardWindow = shardWindow
        self.shardWindows = shardWindows
        seqLen = packed.tokens.count
        tokens = packed.tokens
        segments = (0..<packed.segmentCount).map { s in
            let start = Int(packed.cuSeqlens[s]), end = Int(packed.cuSeqlens[s + 1])
            let ordinal = packed.segments[2 * s]
            return Segment(ordinal: ordinal, offset: packed.segments[2 * s + 1], start: start, length: end - start,
                           padding: ordinal == PackedWindow.paddingOrdinal,
                           lossTokens: packed.lossMask[start..<end].reduce(0) { $0 + Int($1) },
                           text: decode.map { $0(Array(packed.tokens[start..<end])) })
        }
        var runs: [MaskRun] = []
        for (position, value) in packed.lossMask.enumerated() {
            if let last = runs.last, last.value == value {
                runs[runs.count - 1].length += 1
            } else {
                runs.append(MaskRun(value: value, start: position, length: 1))
            }
        }
        lossMask = runs
    }

    /// Reads window `window` of set `set` ("train" or "cooldown") of the packed folder, finding its shard from
    /// the manifest.
    ///
    /// - Throws: `ShardError.mismatch` for an unknown set or a window past the set's end; what `PackManifest.read`
    ///   and `ShardReader` throw.
    public static func load(folder: String, set: String = "train", window: Int,
                            decode: (([UInt32]) -> String)? = nil) throws(ShardError) -> WindowInspection
    {
        let manifest = try PackManifest.read(from: folder)
        guard let summary = manifest.sets.named.first(where: { $0.name == set })?.summary else {
            throw .mismatch(path: folder + "/" + PackManifest.fileName,
                            message: "no set \"\(set)\" (train or cooldown)")
        }
        var first = 0
        for shard in summary.shards {
            if window >= first, window < first &+ shard.windows {
                let reader = try ShardReader(prefix: folder + "/" + set + "/" + shard.prefix, seqLen: manifest.seqLen)
                let packed = try reader.window(window - first)
                return WindowInspection(packed, set: set, window: window, shard: shard.prefix,
                                        shardWindow: window - first, shardWindows: reader.windowCount,
                                        decode: decode)
            }
            first &+= shard.windows
        }
        throw .mismatch(path: folder + "/" + PackManifest.fileName,
                        message: "set \(set) has \(first) windows: there is no window \(window)")
    }

    /// The layout as text: the segments, the mask runs, the tokens (16 a line) and the decoded texts.
    public func render() -> String {
        var text = "\(set) window \(window): shard \(shard), window \(shardWindow) of \(shardWindows); "
            + "seq_len \(seqLen)\nsegments:\n"
        for (s, segment) in segments.enumerated() {
            let what = segment.padding ? "padding" : "document \(segment.ordinal), offset \(segment.offset)"
            text += "  \(s): \(what), positions \(segment.start)..<\(segment.start + segment.length) "
                + "(\(segment.length) tokens, \(segment.lossTokens) in the loss)\n"
        }
        text += "loss mask runs: "
            + lossMask.map { "\($0.start)..<\($0.start + $0.length) = \($0.value)" }.joined(separator: ", ") + "\n"
        text += "tokens:\n"
        for start in stride(from: 0, to: tokens.count, by: 16) {
            let line = tokens[start..<min(start + 16, tokens.count)].map(String.init).joined(separator: " ")
            text += "  \(start): \(line)\n"
        }
        for (s, segment) in segments.enumerated() {
            guard let decoded = segment.text else { continue }
            let what = segment.padding ? "padding" : "document \(segment.ordinal), offset \(segment.offset)"
            text += "--- segment \(s) (\(what)) ---\n\(escapingControls(decoded))\n"
        }
        return text
    }

    /// `text` with control characters other than newline and tab written as `\u{…}`, so that a terminal shows them.
    private func escapingControls(_ text: String) -> String {
        var out = ""
        for scalar in text.unicodeScalars {
            if scalar.properties.generalCategory == .control, scalar != "\n", scalar != "\t" {
                out += "\\u{\(String(scalar.value, radix: 16))}"
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    /// Pretty-printed JSON with sorted keys (`ptk inspect --json`).
    public func jsonString() throws(ShardError) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        do {
            return String(decoding: try encoder.encode(self), as: UTF8.self) + "\n"
        } catch {
            throw .mismatch(path: shard, message: "cannot encode the window: \(error)")
        }
    }
}
