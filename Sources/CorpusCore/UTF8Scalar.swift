/// Decodes the multi-byte scalar whose lead byte is `bytes[i]` (≥ 0x80) in text that is valid UTF-8.
///
/// The hot loops that walk UTF-8 bytes (script profile, `length`, the NFC quick check) take ASCII inline and
/// call this for the rest. `String` guarantees validity, so there is no error path: a truncated sequence at
/// the end decodes as far as it goes.
///
/// ```swift
/// decodeMultibyteScalar(Array("é".utf8).withUnsafeBufferPointer { $0 }, at: 0)   // (0xE9, 2)
/// ```
@inlinable @inline(__always)
public func decodeMultibyteScalar(_ bytes: UnsafeBufferPointer<UInt8>, at i: Int) -> (value: UInt32, length: Int) {
    let b = bytes[i]
    let length = b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : 2
    var value = UInt32(b) & (length == 4 ? 0x07 : length == 3 ? 0x0F : 0x1F)
    var j = 1
    while j < length, i + j < bytes.count {
        value = value << 6 | UInt32(bytes[i + j] & 0x3F)
        j += 1
    }
    return (value, length)
}
