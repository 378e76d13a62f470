import Foundation

/// A .safetensors file: an 8-byte little-endian header length, a JSON header naming each tensor's dtype, shape
/// and byte range, then the raw little-endian data. Read whole (a sentence encoder is tens of MB); tensors are
/// converted to Float32 on request.
public struct SafetensorsFile: Sendable {
    public struct TensorInfo: Sendable, Equatable {
        public var dtype: String
        public var shape: [Int]
        public var range: Range<Int>
    }

    public enum Problem: Error, CustomStringConvertible, Equatable {
        case unreadable(path: String, reason: String)
        case badHeader(path: String, reason: String)
        case missingTensor(name: String, path: String)
        case unsupportedDType(name: String, dtype: String)
        case wrongShape(name: String, expected: [Int], found: [Int])

        public var description: String {
            switch self {
            case let .unreadable(path, reason): "cannot read \(path): \(reason)"
            case let .badHeader(path, reason): "\(path) is not a safetensors file: \(reason)"
            case let .missingTensor(name, path): "\(path) has no tensor '\(name)'"
            case let .unsupportedDType(name, dtype): "tensor '\(name)' has dtype \(dtype); F32, F16 and BF16 are read"
            case let .wrongShape(name, expected, found): "tensor '\(name)' has shape \(found), expected \(expected)"
            }
        }
    }

    public let path: String
    public let tensors: [String: TensorInfo]
    private let data: Data
    private let dataStart: Int

    public init(path: String) throws(Problem) {
        self.path = path
        let bytes: Data
        do {
            bytes = try Data(contentsOf: URL(fileURLWithPath: path), options: .alwaysMapped)
        } catch {
            throw .unreadable(path: path, reason: "\(error.localizedDescription)")
        }
        guard bytes.count >= 8 else { throw .badHeader(path: path, reason: "shorter than 8 bytes") }
        var length: UInt64 = 0
        for i in 0..<8 { length |= UInt64(bytes[bytes.startIndex + i]) << (8 * UInt64(i)) }
        guard length <= UInt64(bytes.count - 8) else {
            throw .badHeader(path: path, reason: "header length \(length) exceeds the file")
        }
        let headerBytes = bytes.subdata(in: bytes.startIndex + 8..<bytes.startIndex + 8 + Int(length))
        guard let header = try? JSONSerialization.jsonObject(with: headerBytes) as? [String: Any] else {
            throw .badHeader(path: path, reason: "the header is not a JSON object")
        }
        let start = 8 + Int(length)
        var tensors: [String: TensorInfo] = [:]
        for (name, value) in header where name != "__metadata__" {
            guard let entry = value as? [String: Any], let dtype = entry["dtype"] as? String,
                  let shape = entry["shape"] as? [Int], let offsets = entry["data_offsets"] as? [Int], offsets.count == 2,
                  offsets[0] >= 0, offsets[0] <= offsets[1], start + offsets[1] <= bytes.count
            else {
                throw .badHeader(path: path, reason: "bad entry for tensor '\(name)'")
            }
            tensors[name] = TensorInfo(dtype: dtype, shape: shape, range: offsets[0]..<offsets[1])
        }
        self.tensors = tensors
        self.data = bytes
        self.dataStart = start
    }

    /// The tensor as Float32 values in row-major order, checked against `shape` when given.
    public func floats(_ name: String, shape expected: [Int]? = nil) throws(Problem) -> [Float] {
        guard let info = tensors[name] else { throw .missingTensor(name: name, path: path) }
        if let expected, expected != info.shape { throw .wrongShape(name: name, expected: expected, found: info.shape) }
        let count = info.shape.reduce(1, *)
        let width: Int
        switch info.dtype {
        case "F32": width = 4
        case "F16", "BF16": width = 2
        default: throw .unsupportedDType(name: name, dtype: info.dtype)
        }
        guard info.range.count == count * width else {
            throw .wrongShape(name: name, expected: info.shape, found: [info.range.count / width])
        }
        let dtype = info.dtype
        let lower = data.startIndex + dataStart + info.range.lowerBound
        return data[lower..<lower + info.range.count].withUnsafeBytes { raw -> [Float] in
            [Float](unsafeUninitializedCapacity: count) { out, initialized in
                for i in 0..<count {
                    switch dtype {
                    case "F32":
                        out[i] = Float(bitPattern: raw.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self).littleEndian)
                    case "F16":
                        let bits = raw.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self).littleEndian
                        out[i] = Float(Float16(bitPattern: bits))
                    default:  // BF16: the top half of a Float32
                        let bits = raw.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self).littleEndian
                        out[i] = Float(bitPattern: UInt32(bits) << 16)
                    }
                }
                initialized = count
            }
        }
    }
}
