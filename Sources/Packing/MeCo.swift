import CorpusCore

/// MeCo metadata conditioning (Gao et al. 2025, "Metadata Conditioning Accelerates Language Model
/// Pre-training"): each document starts with `URL: en.wikipedia.org\n\n`, loss-masked, and a final cooldown
/// share of the training tokens is written without it, so the model also works without metadata.
public struct MeCoOptions: Sendable, Equatable, Codable {
    /// What replaces `{url}` in the template.
    public enum Variant: String, Sendable, Codable, CaseIterable {
        /// The host: `https://en.wikipedia.org/wiki/X` → `en.wikipedia.org` (the paper's choice).
        case domain
        /// The URL as written.
        case full
        /// The first 16 hex digits of the host's SHA-256: same-site grouping without readable names.
        case hashed
    }

    /// The prefix; `{url}` is replaced by the variant's value.
    public var template: String
    public var variant: Variant
    /// The share of documents, drawn from the seed, written to the cooldown set without metadata.
    public var cooldownShare: Double

    public init(template: String = "URL: {url}\n\n", variant: Variant = .domain, cooldownShare: Double = 0.1) {
        self.template = template
        self.variant = variant
        self.cooldownShare = cooldownShare
    }

    /// Why a document got no prefix, or that it got one.
    public enum Outcome: String, Sendable, Codable {
        case prefixed
        case noURL = "no_url"
        case badURL = "bad_url"
    }

    /// The metadata text for a document with this url, or why there is none.
    public func prefix(url: String?) -> (text: String?, outcome: Outcome) {
        guard let url, !url.isEmpty else { return (nil, .noURL) }
        guard let host = URLHost.host(of: url) else { return (nil, .badURL) }
        let value: String
        switch variant {
        case .domain: value = host
        case .full: value = url
        case .hashed: value = String(SHA256.hex(Array(host.utf8)).prefix(16))
        }
        return (template.replacingOccurrences(of: "{url}", with: value), .prefixed)
    }

    /// Whether the document goes to the cooldown set: a uniform draw from the seed and the document's place
    /// (input file and line, or its id), below `cooldownShare`. The same for any thread count or rank.
    public func isCooldown(seed: UInt64, key: String) -> Bool {
        guard cooldownShare > 0 else { return false }
        var mix = SplitMix64(state: seed ^ 0x4D65_436F_436F_6F6C ^ StableHash.fnv1a64(key))
        return Double(mix.next() >> 11) * 0x1.0p-53 < cooldownShare
    }
}

/// The host of a URL, as MeCo uses it: `scheme://[user@]host[:port][/…]`, lowercased, without a trailing dot.
///
/// A URL without `scheme://`, with an empty host, or with characters no host has (spaces, `<`, quotes…) has
/// none: such documents get no prefix and are counted (`bad_url`).
public enum URLHost {
    public static func host(of url: String) -> String? {
        let bytes = Array(url.utf8)
        guard let colon = bytes.firstIndex(of: UInt8(ascii: ":")), colon > 0,
            bytes.count > colon + 2, bytes[colon + 1] == UInt8(ascii: "/"), bytes[colon + 2] == UInt8(ascii: "/")
        else { return nil }
        let scheme = bytes[..<colon]
        guard isLetter(scheme[scheme.startIndex]),
            scheme.allSatisfy({ isLetter($0) || isDigit($0) || $0 == 0x2B || $0 == 0x2D || $0 == 0x2E })
        else { return nil }
        var authority = bytes[(colon + 3)...]
        if let end = authority.firstIndex(where: { $0 == 0x2F || $0 == 0x3F || $0 == 0x23 }) {
            authority = authority[..<end]
        }
        if let at = authority.lastIndex(of: UInt8(ascii: "@")) { authority = authority[(at + 1)...] }
        var host: ArraySlice<UInt8>
        if authority.first == UInt8(ascii: "[") {
            guard let close = authority.firstIndex(of: UInt8(ascii: "]")) else { return nil }
            host = authority[authority.startIndex...close]
            let inside = host.dropFirst().dropLast()
            guard !inside.isEmpty, inside.allSatisfy({ isHexDigit($0) || $0 == 0x3A || $0 == 0x2E }) else { return nil }
        } else {
            host = authority
            if let portColon = host.firstIndex(of: UInt8(ascii: ":")) {
                let port = host[(portColon + 1)...]
                guard port.allSatisfy(isDigit) else { return nil }
                host = host[..<portColon]
            }
            if host.last == UInt8(ascii: ".") { host = host.dropLast() }
            // Letters, digits, '-', '.', '_' and any non-ASCII byte (internationalized names).
            guard !host.isEmpty, host.first != UInt8(ascii: "."),
                host.allSatisfy({ $0 >= 0x80 || isLetter($0) || isDigit($0) || $0 == 0x2D || $0 == 0x2E || $0 == 0x5F })
            else { return nil }
        }
        return String(decoding: host.map { $0 >= 0x41 && $0 <= 0x5A ? $0 | 0x20 : $0 }, as: UTF8.self)
    }

    private static func isLetter(_ b: UInt8) -> Bool { (b | 0x20) >= 0x61 && (b | 0x20) <= 0x7A }
    private static func isDigit(_ b: UInt8) -> Bool { b >= 0x30 && b <= 0x39 }
    private static func isHexDigit(_ b: UInt8) -> Bool { isDigit(b) || ((b | 0x20) >= 0x61 && (b | 0x20) <= 0x66) }
}
