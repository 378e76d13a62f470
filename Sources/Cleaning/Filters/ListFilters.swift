import CorpusCore
import Foundation
import Tokenization

/// Block and allow lists of words or phrases, case-insensitive, matched on whole words.
///
/// The text and each entry are lowercased (full Unicode mapping) and cut into words: runs of letters, digits
/// (any script) and `_`. An entry matches where its words appear in a row, whatever spaces or punctuation
/// separate them, so `privacy policy` matches `Privacy  Policy` and `privacy-policy`, and `cat` does not match
/// `category`. Scripts written without spaces (Chinese, Japanese) make long runs, so an entry matches there
/// only as a whole run.
///
/// Drop reasons: `keyword_<entry>` for the first blocked entry found (entry lowercased, non-word characters as
/// `_`, at most 40 bytes), `no_allowed_keyword` when an allow list is given and no entry of it appears.
public struct KeywordFilter: Filter {
    public let block: [String]
    public let allow: [String]
    private let blockIndex: [String: [[String]]]
    private let allowIndex: [String: [[String]]]

    public init(block: [String], allow: [String] = []) {
        self.block = block
        self.allow = allow
        blockIndex = Self.index(block)
        allowIndex = Self.index(allow)
    }

    private static func index(_ entries: [String]) -> [String: [[String]]] {
        var index: [String: [[String]]] = [:]
        for entry in entries {
            let words = Self.words(entry.pythonLowercased())
            guard let first = words.first else { continue }
            index[first, default: []].append(words)
        }
        return index
    }

    static func words(_ text: String) -> [String] {
        var words: [String] = []
        var current = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            if PythonText.isWordChar(scalar.value) {
                current.append(scalar)
            } else if !current.isEmpty {
                words.append(String(current))
                current = String.UnicodeScalarView()
            }
        }
        if !current.isEmpty { words.append(String(current)) }
        return words
    }

    private static func firstMatch(_ words: [String], _ index: [String: [[String]]]) -> [String]? {
        guard !index.isEmpty else { return nil }
        for i in words.indices {
            guard let candidates = index[words[i]] else { continue }
            for entry in candidates where i + entry.count <= words.count {
                if words[i..<(i + entry.count)].elementsEqual(entry) { return entry }
            }
        }
        return nil
    }

    public func evaluate(_ document: Document) -> Decision {
        let words = Self.words(document.text.pythonLowercased())
        if let entry = Self.firstMatch(words, blockIndex) {
            let name = entry.joined(separator: " ")
            return .drop(reason: "keyword_" + Self.slug(name), detail: "holds \"\(name)\"")
        }
        if !allowIndex.isEmpty && Self.firstMatch(words, allowIndex) == nil {
            return .drop(reason: "no_allowed_keyword", detail: "no entry of the allow list appears")
        }
        return .keep
    }

    static func slug(_ text: String) -> String {
        var out = ""
        for scalar in text.unicodeScalars {
            if out.utf8.count >= 40 { break }
            out.unicodeScalars.append(PythonText.isWordChar(scalar.value) ? scalar : "_")
        }
        return out
    }
}

/// Block and allow lists of web domains and URL substrings, on `metadata.url`.
///
/// The host is the part after `scheme://` and any `user@`, before the port, path, query or fragment, lowercased,
/// without a trailing dot. A listed domain matches itself and its subdomains (`example.com` matches
/// `www.example.com`, not `badexample.com`). Substrings match the lowercased URL anywhere.
/// Drop reasons, checked in this order: `no_url` (no URL and `dropMissing`), `url_blocked_domain`,
/// `url_blocked_substring`, `url_not_allowed` (an allow list is given and the host is in none of its domains).
public struct URLFilter: Filter {
    public let blockDomains: [String]
    public let allowDomains: [String]
    public let blockSubstrings: [String]
    public var dropMissing: Bool

    public init(blockDomains: [String] = [], allowDomains: [String] = [], blockSubstrings: [String] = [],
                dropMissing: Bool = false)
    {
        self.blockDomains = blockDomains.map(Self.normalizedDomain)
        self.allowDomains = allowDomains.map(Self.normalizedDomain)
        self.blockSubstrings = blockSubstrings.map { $0.lowercased() }.filter { !$0.isEmpty }
        self.dropMissing = dropMissing
    }

    static func normalizedDomain(_ domain: String) -> String {
        var d = domain.lowercased().trimmingCharacters(in: .whitespaces)
        while d.hasPrefix(".") { d.removeFirst() }
        while d.hasSuffix(".") { d.removeLast() }
        return d
    }

    /// The host of a URL, lowercased; nil when there is none.
    public static func host(of url: String) -> String? {
        var rest = Substring(url.trimmingCharacters(in: .whitespaces))
        if let scheme = rest.range(of: "://") { rest = rest[scheme.upperBound...] } else if rest.hasPrefix("//") {
            rest = rest.dropFirst(2)
        }
        if let end = rest.firstIndex(where: { $0 == "/" || $0 == "?" || $0 == "#" }) { rest = rest[..<end] }
        if let at = rest.lastIndex(of: "@") { rest = rest[rest.index(after: at)...] }
        if rest.hasPrefix("["), let close = rest.firstIndex(of: "]") {
            rest = rest[rest.startIndex...close]  // IPv6 literal
        } else if let colon = rest.lastIndex(of: ":") {
            rest = rest[..<colon]
        }
        var host = rest.lowercased()
        while host.hasSuffix(".") { host.removeLast() }
        return host.isEmpty ? nil : host
    }

    static func matches(_ host: String, _ domain: String) -> Bool {
        host == domain || (host.hasSuffix(domain) && host.dropLast(domain.count).hasSuffix("."))
    }

    public func evaluate(_ document: Document) -> Decision {
        guard let url = document.metadata.url, !url.isEmpty else {
            return dropMissing ? .drop(reason: "no_url", detail: "the document has no url") : .keep
        }
        let host = Self.host(of: url) ?? ""
        if let domain = blockDomains.first(where: { Self.matches(host, $0) }) {
            return .drop(reason: "url_blocked_domain", detail: "\(host) is under \(domain)")
        }
        if !blockSubstrings.isEmpty {
            let lowered = url.lowercased()
            if let s = blockSubstrings.first(where: { lowered.contains($0) }) {
                return .drop(reason: "url_blocked_substring", detail: "the url holds \"\(s)\"")
            }
        }
        if !allowDomains.isEmpty && !allowDomains.contains(where: { Self.matches(host, $0) }) {
            return .drop(reason: "url_not_allowed", detail: "\(host) is under no allowed domain")
        }
        return .keep
    }
}

/// Keeps documents whose token count under a tokenizer lies within bounds.
/// Drop reasons: `too_few_tokens`, `too_many_tokens`.
public struct TokenCountFilter: Filter {
    public let encoder: any TokenEncoder
    public var minTokens: Int
    public var maxTokens: Int

    public init(encoder: any TokenEncoder, minTokens: Int = 0, maxTokens: Int = .max) {
        self.encoder = encoder
        self.minTokens = minTokens
        self.maxTokens = maxTokens
    }

    public func evaluate(_ document: Document) -> Decision {
        let count = encoder.encodeOrdinary(document.text).count
        if count < minTokens { return .drop(reason: "too_few_tokens", detail: "\(count) < \(minTokens) tokens") }
        if count > maxTokens { return .drop(reason: "too_many_tokens", detail: "\(count) > \(maxTokens) tokens") }
        return .keep
    }
}
