/// How elements rank in a `BinaryHeap`: `a` sits above `b` (nearer the top).
public protocol HeapOrdered {
    static func heapAbove(_ a: Self, _ b: Self) -> Bool
}

/// A binary heap over an array; the top is the element that ranks above all others. The one heap behind the
/// streaming choosers of selection (`ImportanceResampler` keeps its lowest key on top, `BudgetSampler` its
/// highest) and the pair queue of BPE training.
///
/// The methods are `@inlinable` so that each user's `heapAbove` is specialized into them: BPE training pushes
/// and pops millions of entries.
///
/// ```swift
/// var heap = BinaryHeap<Entry>()
/// heap.push(a); heap.push(b)
/// heap.top          // the one ranked above
/// heap.popTop()
/// ```
///
/// - Complexity: O(log n) for `push`, `popTop` and `replaceTop`.
public struct BinaryHeap<Element: HeapOrdered> {
    @usableFromInline var storage: [Element] = []

    public init() {}

    /// The elements in heap order (the top first).
    @inlinable public var elements: [Element] { storage }
    @inlinable public var top: Element? { storage.first }
    @inlinable public var count: Int { storage.count }
    @inlinable public var isEmpty: Bool { storage.isEmpty }

    @inlinable
    public mutating func push(_ element: Element) {
        var items = take()
        items.append(element)
        var child = items.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard Element.heapAbove(items[child], items[parent]) else { break }
            items.swapAt(child, parent)
            child = parent
        }
        storage = items
    }

    @inlinable
    @discardableResult
    public mutating func popTop() -> Element? {
        var items = take()
        guard let top = items.first else { return nil }
        let last = items.removeLast()
        if !items.isEmpty {
            items[0] = last
            Self.siftDown(&items, 0)
        }
        storage = items
        return top
    }

    /// Replaces the top (which must exist) and restores the order.
    @inlinable
    public mutating func replaceTop(_ element: Element) {
        var items = take()
        items[0] = element
        Self.siftDown(&items, 0)
        storage = items
    }

    /// The storage, moved out so that changes to it do not copy.
    @inlinable
    mutating func take() -> [Element] {
        let items = storage
        storage = []
        return items
    }

    @inlinable
    static func siftDown(_ items: inout [Element], _ start: Int) {
        var parent = start
        let count = items.count
        while true {
            let left = 2 * parent + 1, right = left + 1
            guard left < count else { return }
            var best = parent
            if Element.heapAbove(items[left], items[best]) { best = left }
            if right < count, Element.heapAbove(items[right], items[best]) { best = right }
            if best == parent { return }
            items.swapAt(parent, best)
            parent = best
        }
    }
}

extension BinaryHeap: Sendable where Element: Sendable {}
