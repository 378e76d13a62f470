import CorpusIO
import Foundation

/// NumPy .npy files of a 2-D float matrix (format version 1.0, little-endian, C order): the only layout
/// `ptk embed` writes and `ptk` reads back. float32 (`<f4`) and float16 (`<f2`) are read; float32 is written.
///
/// The writer streams rows: the header is written first with room for any row count (the shape field is padded
/// to a fixed width) and rewritten with the true count at `finish`, so N need not be known up front.
public enum NPY {
    public enum Problem: Error, CustomStringConvertible, Equatable {
        case unreadable(String)
        case badHeader(String)

        public var description: String {
            switch self {
            case let .unreadable(message): message
            case let .badHeader(message): "not a 2-D float .npy file: \(message)"
            }
        }
    }

    static let magic: [UInt8] = [0x93] + Array("NUMPY".utf8) + [1, 0]
    /// Header bytes including magic and length: a multiple of 64 with room for 20-digit row counts.
    static let headerSize = 128

    static func header(rows: Int, columns: Int) -> [UInt8] {
        var dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (\(rows), \(columns)), }"
        let room = headerSize - magic.count - 2 - 1  // the length field, then the final newline
        dict += String(repeating: " ", count: max(0, room - dict.utf8.count)) + "\n"
        let length = UInt16(dict.utf8.count)
        return magic + [UInt8(length & 0xFF), UInt8(length >> 8)] + Array(dict.utf8)
    }

    /// Writes rows of `columns` float32 values; visible under its name only after `finish`.
    public final class Writer {
        public let columns: Int
        public private(set) var rows = 0
        let path: String
        let temporary: String
        let handle: FileHandle

        public init(path: String, columns: Int) throws {
            self.path = path
            self.columns = columns
            temporary = path + ".tmp-\(getpid())"
            let folder = (path as NSString).deletingLastPathComponent
            if !folder.isEmpty { try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true) }
            guard FileManager.default.createFile(atPath: temporary, contents: Data(NPY.header(rows: 0, columns: columns)))
            else { throw Problem.unreadable("cannot create \(temporary)") }
            handle = try FileHandle(forWritingTo: URL(fileURLWithPath: temporary))
            try handle.seekToEnd()
        }

        /// Appends rows (row-major, a multiple of `columns` values).
        public func append(_ values: [Float]) throws {
            guard values.count % columns == 0 else {
                throw Problem.badHeader("\(values.count) values are not whole rows of \(columns)")
            }
            var bytes = [UInt8](repeating: 0, count: values.count * 4)
            for (i, v) in values.enumerated() {
                let bits = v.bitPattern.littleEndian
                bytes[4 * i] = UInt8(truncatingIfNeeded: bits)
                bytes[4 * i + 1] = UInt8(truncatingIfNeeded: bits >> 8)
                bytes[4 * i + 2] = UInt8(truncatingIfNeeded: bits >> 16)
                bytes[4 * i + 3] = UInt8(truncatingIfNeeded: bits >> 24)
            }
            try handle.write(contentsOf: bytes)
            rows += values.count / columns
        }

        public func finish() throws {
            try handle.seek(toOffset: 0)
            try handle.write(contentsOf: NPY.header(rows: rows, columns: columns))
            try handle.close()
            if rename(temporary, path) != 0 { throw Problem.unreadable("cannot rename \(temporary) to \(path)") }
        }
    }

    /// Reads a whole [N, d] float32 or float16 matrix as float32.
    public static func read(path: String) throws(Problem) -> (rows: Int, columns: Int, values: [Float]) {
        guard let data = FileManager.default.contents(atPath: path) else { throw .unreadable("cannot read \(path)") }
        let bytes = [UInt8](data)
        guard bytes.count >= 10, Array(bytes[0..<6]) == Array(magic[0..<6]) else { throw .badHeader("\(path): no NUMPY magic") }
        let major = bytes[6]
        let headerLength: Int, start: Int
        if major == 1 {
            headerLength = Int(bytes[8]) | Int(bytes[9]) << 8
            start = 10
        } else {
            guard bytes.count >= 12 else { throw .badHeader("\(path): truncated header") }
            headerLength = Int(bytes[8]) | Int(bytes[9]) << 8 | Int(bytes[10]) << 16 | Int(bytes[11]) << 24
            start = 12
        }
        guard start + headerLength <= bytes.count else { throw .badHeader("\(path): truncated header") }
        let text = String(decoding: bytes[start..<start + headerLength], as: UTF8.self)
        let width: Int
        if text.contains("'<f4'") { width = 4 } else if text.contains("'<f2'") { width = 2 } else {
            throw .badHeader("\(path): dtype must be '<f4' or '<f2' (\(text.trimmingCharacters(in: .whitespacesAndNewlines)))")
        }
        guard text.contains("'fortran_order': False") else { throw .badHeader("\(path): Fortran order") }
        guard let open = text.range(of: "'shape': ("), let close = text[open.upperBound...].firstIndex(of: ")") else {
            throw .badHeader("\(path): no shape")
        }
        let dims = text[open.upperBound..<close].split(separator: ",").compactMap {
            Int($0.trimmingCharacters(in: .whitespaces))
        }
        guard dims.count == 2 else { throw .badHeader("\(path): shape must have two dimensions") }
        let (rows, columns) = (dims[0], dims[1])
        let body = start + headerLength
        guard bytes.count - body == rows * columns * width else {
            throw .badHeader("\(path): \(bytes.count - body) data bytes for shape (\(rows), \(columns))")
        }
        var values = [Float](repeating: 0, count: rows * columns)
        for i in values.indices {
            let o = body + i * width
            if width == 4 {
                let bits = UInt32(bytes[o]) | UInt32(bytes[o + 1]) << 8 | UInt32(bytes[o + 2]) << 16 | UInt32(bytes[o + 3]) << 24
                values[i] = Float(bitPattern: bits)
            } else {
                values[i] = Float(Float16(bitPattern: UInt16(bytes[o]) | UInt16(bytes[o + 1]) << 8))
            }
        }
        return (rows, columns, values)
    }
}
