import CorpusCore
import Packing
import Shards
import Testing

// MARK: - Helpers

/// Random documents: lengths from a long-tailed mix (many short, some several windows long), masked prefixes
/// on some.
func randomDocuments(count: Int, seqLen: Int, seed: UInt64) -> [PackDocument] {
    var rng = SeededRandom(seed: seed)
    return (0..<count).map { i in
        let length: Int
        switch rng.next() % 10 {
        case 0: length = 1 + Int(rng.next() % UInt64(4 * seqLen))
        case 1, 2: length = 1 + Int(rng.next() % UInt64(seqLen))
        default: length = 1 + Int(rng.next() % UInt64(max(1, seqLen / 4)))
        }
        let tokens = (0..<length).map { _ in UInt32(rng.next() % 1000) + 1 }
        let masked = rng.next() % 3 == 0 ? min(length, Int(rng.next() % 5)) : 0
        return PackDocument(ordinal: Int64(i), tokens: tokens, maskedPrefix: masked)
    }
}

func pack(_ documents: [PackDocument], strategy: PackStrategy, seqLen: Int, buffer: Int = 1 << 24) throws
    -> (windows: [PackedWindow], stats: PackStats)
{
    var packer = makePacker(strategy, seqLen: seqLen, padID: 0, bestFitBufferTokens: buffer)
    var windows: [PackedWindow] = []
    for document in documents { try packer.add(document) { windows.append($0) } }
    try packer.finish { windows.append($0) }
    return (windows, packer.stats)
}

/// Checks the window invariants of docs/shard-format.md and rebuilds every document from its segments
/// (ordinal, offset), checking the loss mask against the documents' masked prefixes.
func rebuild(_ windows: [PackedWindow], seqLen: Int, documents: [PackDocument]) -> [Int64: [UInt32]] {
    var rebuilt: [Int64: [UInt32]] = [:]
    for window in windows {
        #expect(window.tokens.count == seqLen)
        #expect(window.lossMask.count == seqLen)
        #expect(window.cuSeqlens.first == 0 && window.cuSeqlens.last == Int32(seqLen))
        #expect(zip(window.cuSeqlens, window.cuSeqlens.dropFirst()).allSatisfy { $0 < $1 })
        #expect(window.segments.count == 2 * window.segmentCount)
        for s in 0..<window.segmentCount {
            let range = Int(window.cuSeqlens[s])..<Int(window.cuSeqlens[s + 1])
            let ordinal = window.segments[2 * s], offset = Int(window.segments[2 * s + 1])
            if ordinal < 0 {
                #expect(s == window.segmentCount - 1, "padding is the last segment")
                #expect(window.lossMask[range].allSatisfy { $0 == 0 })
                continue
            }
            #expect(rebuilt[ordinal, default: []].count == offset, "segments of a document arrive in order")
            rebuilt[ordinal, default: []].append(contentsOf: window.tokens[range])
            let masked = documents[Int(ordinal)].maskedPrefix
            for (k, t) in range.enumerated() {
                #expect(window.lossMask[t] == (offset + k < masked ? 0 : 1))
            }
        }
    }
    return rebuilt
}

// MARK: - Strategies

@Test(arguments: PackStrategy.allCases, [7, 64, 512])
func everyStrategyKeepsEveryToken(strategy: PackStrategy, seqLen: Int) throws {
    let documents = randomDocuments(count: 300, seqLen: seqLen, seed: UInt64(seqLen))
    let (windows, stats) = try pack(documents, strategy: strategy, seqLen: seqLen, buffer: 8 * seqLen)
    let rebuilt = rebuild(windows, seqLen: seqLen, documents: documents)
    #expect(rebuilt.count == documents.count)
    for document in documents { #expect(rebuilt[document.ordinal] == document.tokens) }
    let total = documents.reduce(0) { $0 + $1.tokens.count }
    #expect(stats.documents == documents.count)
    #expect(stats.documentTokens == total)
    #expect(stats.windows == windows.count && stats.tokens == windows.count * seqLen)
    #expect(stats.tokens == stats.documentTokens + stats.paddingTokens)
    #expect(stats.lossTokens == windows.reduce(0) { $0 + $1.lossMask.reduce(0) { $0 + Int($1) } })
    let longer = documents.filter { $0.tokens.count > seqLen }.count
    switch strategy {
    case .concat, .docmask:
        // Only the last window is padded, and the token stream is the documents in order.
        #expect(stats.paddingTokens < seqLen)
        var stream: [UInt32] = []
        for w in windows {
            for s in 0..<w.segmentCount where w.segments[2 * s] >= 0 {
                stream += w.tokens[Int(w.cuSeqlens[s])..<Int(w.cuSeqlens[s + 1])]
            }
        }
        let expected: [UInt32] = documents.flatMap(\.tokens)
        #expect(stream.count == expected.count)
        #expect(stream == expected, "the token stream is the documents in order")
        #expect(stats.splitDocuments >= longer)
    case .bestfit, .pad:
        #expect(stats.splitDocuments == longer)
        #expect(stats.chunks == documents.reduce(0) { $0 + ($1.tokens.count + seqLen - 1) / seqLen })
    }
    if strategy == .pad { #expect(windows.count == stats.chunks) }
}

@Test func bestFitPadsLessThanOneDocumentPerWindow() throws {
    let documents = randomDocuments(count: 2000, seqLen: 256, seed: 9)
    let bestfit = try pack(documents, strategy: .bestfit, seqLen: 256).stats
    let padded = try pack(documents, strategy: .pad, seqLen: 256).stats
    #expect(bestfit.paddingShare < 0.05)
    #expect(bestfit.windows < padded.windows / 2)
    #expect(bestfit.chunks == padded.chunks, "the same cuts: only documents longer than a window")
}

@Test func concatCutsAtWindowEdgesOnly() throws {
    let documents = [PackDocument(ordinal: 0, tokens: [1, 2, 3, 4, 5], maskedPrefix: 2),
                     PackDocument(ordinal: 1, tokens: [6, 7, 8])]
    let (windows, stats) = try pack(documents, strategy: .concat, seqLen: 3)
    #expect(windows.map(\.tokens) == [[1, 2, 3], [4, 5, 6], [7, 8, 0]])
    #expect(windows.map(\.lossMask) == [[0, 0, 1], [1, 1, 1], [1, 1, 0]])
    #expect(windows.map(\.cuSeqlens) == [[0, 3], [0, 2, 3], [0, 2, 3]])
    #expect(windows.map(\.segments) == [[0, 0], [0, 3, 1, 0], [1, 1, -1, 0]])
    #expect(stats.splitDocuments == 2 && stats.paddingTokens == 1 && stats.windows == 3)
}

@Test func bestFitFillsTheTightestWindow() throws {
    // Chunks 6, 5, 4, 3, 2 into windows of 8: 6 opens A (room 2), 5 opens B (3), 4 opens C (4),
    // 3 goes to B (the tightest that fits), 2 to A.
    let lengths = [4, 2, 6, 3, 5]
    let documents = lengths.enumerated().map { i, n in
        PackDocument(ordinal: Int64(i), tokens: [UInt32](repeating: UInt32(i + 1), count: n))
    }
    let (windows, _) = try pack(documents, strategy: .bestfit, seqLen: 8)
    #expect(windows.map { w in stride(from: 0, to: w.segments.count, by: 2).map { w.segments[$0] } }
        == [[2, 1], [4, 3], [0, -1]])
}

// MARK: - Best-fit placement against the plain scan

@Test(arguments: [1, 2, 3, 4, 5])
func bestFitTreeEqualsTheScan(seed: UInt64) {
    var rng = SeededRandom(seed: seed)
    let seqLen = [16, 100, 2048][Int(seed % 3)]
    let lengths = (0..<1500).map { _ in 1 + Int(rng.next() % UInt64(seqLen * (seed % 2 == 0 ? 1 : 3))) }
    let chunks = bestFitChunks(documentLengths: lengths, seqLen: seqLen)
    #expect(chunks.count == lengths.reduce(0) { $0 + ($1 + seqLen - 1) / seqLen })
    #expect(zip(chunks, chunks.dropFirst()).allSatisfy { $0.length >= $1.length })
    let fast = bestFitPlace(chunks, seqLen: seqLen)
    let plain = bestFitReference(chunks, seqLen: seqLen)
    // Windows of equal room are interchangeable, so the count and the fill levels agree exactly.
    #expect(fast.count == plain.count)
    let fill = { (bins: [[Int]]) in bins.map { $0.reduce(0) { $0 + chunks[$1].length } }.sorted() }
    #expect(fill(fast) == fill(plain))
    #expect(fast.flatMap { $0 }.sorted() == Array(chunks.indices))
    #expect(fill(fast).allSatisfy { $0 <= seqLen })
}

// MARK: - MeCo

@Test func urlHosts() {
    let cases: [(String, String?)] = [
        ("https://en.wikipedia.org/wiki/X", "en.wikipedia.org"),
        ("http://User:pw@WWW.Example.COM:8080/a?b#c", "www.example.com"),
        ("https://example.org.", "example.org"),
        ("https://[2001:db8::1]/x", "[2001:db8::1]"),
        ("https://例子.测试/路径", "例子.测试"),
        ("ftp://files.example.net", "files.example.net"),
        ("https://example.com?q=1", "example.com"),
        ("example.com/page", nil), ("https://", nil), ("https:///path", nil), ("://x.org", nil),
        ("https://exa mple.com", nil), ("https://example.com:80x/", nil), ("1http://x.org", nil),
        ("https://[zz::1]/", nil), ("mailto:someone@example.com", nil), ("", nil),
    ]
    for (url, host) in cases { #expect(URLHost.host(of: url) == host, "\(url)") }
}

@Test func mecoPrefixVariants() {
    let domain = MeCoOptions()
    #expect(domain.prefix(url: "https://en.wikipedia.org/wiki/X").text == "URL: en.wikipedia.org\n\n")
    #expect(domain.prefix(url: nil).outcome == .noURL)
    #expect(domain.prefix(url: "").outcome == .noURL)
    #expect(domain.prefix(url: "not a url").outcome == .badURL)
    let full = MeCoOptions(template: "Source: {url}\n", variant: .full)
    #expect(full.prefix(url: "https://a.org/b").text == "Source: https://a.org/b\n")
    let hashed = MeCoOptions(variant: .hashed)
    let text = hashed.prefix(url: "https://a.org/b").text
    #expect(text == "URL: \(SHA256.hex(Array("a.org".utf8)).prefix(16))\n\n")
    #expect(hashed.prefix(url: "http://A.org/other").text == text, "same host, same hash")
}

@Test func cooldownShareIsDrawnFromTheSeed() {
    let meco = MeCoOptions(cooldownShare: 0.1)
    let keys = (0..<20_000).map { "corpus.jsonl:\($0)" }
    let chosen = keys.filter { meco.isCooldown(seed: 7, key: $0) }
    // Binomial(20000, 0.1): standard deviation 42; 5 sigma.
    #expect(abs(chosen.count - 2000) < 210)
    #expect(keys.filter { meco.isCooldown(seed: 7, key: $0) } == chosen, "deterministic")
    #expect(keys.filter { meco.isCooldown(seed: 8, key: $0) } != chosen, "another seed, another draw")
    #expect(!keys.contains { MeCoOptions(cooldownShare: 0).isCooldown(seed: 7, key: $0) })
}
