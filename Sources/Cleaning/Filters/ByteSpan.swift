import Foundation

/// A byte range of a buffer that lives as long as one `evaluate` call, hashed and compared by content: the keys
/// of the duplicate-line and n-gram counts, which Python keeps as strings.
struct ByteSpan: Hashable {
    let base: UnsafePointer<UInt8>
    let start: Int
    let count: Int

    init(_ b: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) {
        // An empty buffer may have no base address; a dangling pointer is fine for zero-length spans.
        base = b.baseAddress ?? UnsafePointer(bitPattern: 1).unsafelyUnwrapped
        start = range.lowerBound
        count = range.count
    }

    func hash(into hasher: inout Hasher) {
        hasher.combine(bytes: UnsafeRawBufferPointer(start: base + start, count: count))
    }

    static func == (a: ByteSpan, b: ByteSpan) -> Bool {
        a.count == b.count && (a.count == 0 || memcmp(a.base + a.start, b.base + b.start, a.count) == 0)
    }
}

/// datatrove's `find_duplicates`: elements already seen earlier in the list, and their length in scalars.
func findDuplicates(_ b: UnsafeBufferPointer<UInt8>, _ elements: [Range<Int>]) -> (count: Int, chars: Int) {
    var seen = Set<ByteSpan>(minimumCapacity: elements.count)
    var count = 0, chars = 0
    for e in elements {
        if !seen.insert(ByteSpan(b, e)).inserted {
            count += 1
            chars += PythonText.length(b, e)
        }
    }
    return (count, chars)
}

/// A set of scalar values with an ASCII bitmap in front.
struct ScalarSet: Sendable {
    private var ascii: (UInt64, UInt64) = (0, 0)
    private var others: Set<UInt32> = []

    init(_ values: [UInt32]) {
        for v in values {
            if v < 64 { ascii.0 |= 1 << UInt64(v) } else if v < 128 { ascii.1 |= 1 << UInt64(v - 64) } else {
                others.insert(v)
            }
        }
    }

    @inline(__always)
    func contains(_ v: UInt32) -> Bool {
        if v < 64 { return ascii.0 & (1 << UInt64(v)) != 0 }
        if v < 128 { return ascii.1 & (1 << UInt64(v - 64)) != 0 }
        return others.contains(v)
    }

    static let punctuation = ScalarSet(DatatroveText.punctuation)
    static let terminalPunctuation = ScalarSet(DatatroveText.terminalPunctuation)
}

extension String {
    /// Runs `body` on the UTF-8 bytes of a copy (no copy for native strings).
    func withBytes<R>(_ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        var copy = self
        return copy.withUTF8(body)
    }
}

/// A ratio formatted for drop details.
func ratioText(_ x: Double) -> String { String(format: "%.3f", x) }
