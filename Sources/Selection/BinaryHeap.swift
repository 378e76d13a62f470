/// How elements rank in a `BinaryHeap`: `a` sits above `b` (nearer the top).
protocol HeapOrdered {
    static func heapAbove(_ a: Self, _ b: Self) -> Bool
}

/// A binary heap over an array; the top is the element that ranks above all others. The one heap behind the
/// streaming choosers (`ImportanceResampler` keeps its lowest key on top, `BudgetSampler` its highest).
///
/// ```swift
/// var heap = BinaryHeap<Candidate>()
/// heap.push(a); heap.push(b)
/// heap.top          // the one ranked above
/// heap.popTop()
/// ```
///
/// - Complexity: O(log n) for `push`, `popTop` and `replaceTop`.
struct BinaryHeap<Element: HeapOrdered & Sendable>: Sendable {
    private(set) var elements: [Element] = []

    var top: Element? { elements.first }
    var count: Int { elements.count }
    var isEmpty: Bool { elements.isEmpty }

    mutating func push(_ element: Element) {
        elements.append(element)
        var child = elements.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard Element.heapAbove(elements[child], elements[parent]) else { return }
            elements.swapAt(child, parent)
            child = parent
        }
    }

    @discardableResult
    mutating func popTop() -> Element? {
        guard let top = elements.first else { return nil }
        let last = elements.removeLast()
        if !elements.isEmpty {
            elements[0] = last
            siftDown(0)
        }
        return top
    }

    /// Replaces the top (which must exist) and restores the order.
    mutating func replaceTop(_ element: Element) {
        elements[0] = element
        siftDown(0)
    }

    private mutating func siftDown(_ start: Int) {
        var parent = start
        while true {
            let left = 2 * parent + 1, right = left + 1
            var best = parent
            if left < elements.count, Element.heapAbove(elements[left], elements[best]) { best = left }
            if right < elements.count, Element.heapAbove(elements[right], elements[best]) { best = right }
            if best == parent { return }
            elements.swapAt(parent, best)
            parent = best
        }
    }
}
