/// Orders documents so that related ones sit next to each other: In-Context Pretraining (Shi et al. 2024).
///
/// The input is a kNN graph (`NeighborGraph`, inner product of normalized embeddings). Two forms:
/// - `.paper`: the greedy maximum-TSP path — start at an unvisited document of minimum degree (in-degree in the
///   kNN graph, ties by index), step to the most similar unvisited neighbour, and when none is left, jump to the
///   next unvisited document of minimum degree.
/// - `.capped(maxChain:minChain:)`, our reading of the public code: the same walk, but a chain stops after
///   `maxChain` documents (21 there), and a chain shorter than `minChain` is moved to sit right after its most
///   similar already-placed neighbour's chain instead of standing alone.
/// Every document appears exactly once in either order. Excluded documents (near duplicates) are left out.
public enum SemanticOrder {
    public enum Method: Sendable, Equatable {
        case paper
        case capped(maxChain: Int, minChain: Int)
    }

    /// In-degree of every document in the kNN graph.
    public static func inDegrees(_ graph: NeighborGraph) -> [Int] {
        var degree = [Int](repeating: 0, count: graph.count)
        for id in graph.neighbors where id >= 0 { degree[Int(id)] += 1 }
        return degree
    }

    /// The order as chains (each a run of consecutive documents); `excluded[i]` true leaves document i out.
    public static func chains(_ graph: NeighborGraph, method: Method, excluded: [Bool]? = nil) -> [[Int]] {
        let n = graph.count
        var visited = excluded ?? [Bool](repeating: false, count: n)
        let degree = inDegrees(graph)
        let starts = (0..<n).sorted { (degree[$0], $0) < (degree[$1], $1) }
        var nextStart = 0
        var chains: [[Int]] = []
        let cap: Int
        switch method {
        case .paper: cap = .max
        case let .capped(maxChain, _): cap = max(1, maxChain)
        }
        while true {
            while nextStart < n, visited[starts[nextStart]] { nextStart += 1 }
            guard nextStart < n else { break }
            var current = starts[nextStart]
            visited[current] = true
            var chain = [current]
            while chain.count < cap {
                // The neighbour list is sorted by similarity, best first.
                guard let next = graph.neighbors(of: current).first(where: { $0 >= 0 && !visited[Int($0)] }) else { break }
                current = Int(next)
                visited[current] = true
                chain.append(current)
            }
            chains.append(chain)
        }
        guard case let .capped(_, minChain) = method, minChain > 1 else { return chains }
        return mergeShortChains(chains, graph: graph, minChain: minChain)
    }

    /// The flat order.
    public static func order(_ graph: NeighborGraph, method: Method, excluded: [Bool]? = nil) -> [Int] {
        chains(graph, method: method, excluded: excluded).flatMap { $0 }
    }

    /// Moves each chain shorter than `minChain` behind the long chain holding its first member's most similar
    /// neighbour; a short chain with no neighbour in a long chain stays where it is.
    static func mergeShortChains(_ chains: [[Int]], graph: NeighborGraph, minChain: Int) -> [[Int]] {
        var chainOf = [Int](repeating: -1, count: graph.count)
        for (c, chain) in chains.enumerated() where chain.count >= minChain {
            for doc in chain { chainOf[doc] = c }
        }
        var attached = [[Int]](repeating: [], count: chains.count)  // short chains to place after chain c
        var standalone = [Bool](repeating: true, count: chains.count)
        for (c, chain) in chains.enumerated() where chain.count < minChain {
            guard let first = chain.first,
                  let host = graph.neighbors(of: first).first(where: { $0 >= 0 && chainOf[Int($0)] >= 0 })
            else { continue }
            attached[chainOf[Int(host)]].append(c)
            standalone[c] = false
        }
        var result: [[Int]] = []
        for (c, chain) in chains.enumerated() where standalone[c] {
            result.append(chain + attached[c].flatMap { chains[$0] })
        }
        return result
    }

    /// Near duplicates to leave out before ordering: walking documents in index order, a document whose
    /// neighbour with a smaller index is still kept and has similarity ≥ threshold is excluded. Returns the flags
    /// and, for each excluded document, the kept one it duplicates.
    public static func nearDuplicates(_ graph: NeighborGraph, threshold: Float) -> (excluded: [Bool], keptFor: [Int: Int]) {
        var excluded = [Bool](repeating: false, count: graph.count)
        var keptFor: [Int: Int] = [:]
        for i in 0..<graph.count {
            for (id, score) in zip(graph.neighbors(of: i), graph.scores(of: i)) where id >= 0 && score >= threshold {
                let j = Int(id)
                if j < i, !excluded[j] {
                    excluded[i] = true
                    keptFor[i] = j
                    break
                }
            }
        }
        return (excluded, keptFor)
    }
}
