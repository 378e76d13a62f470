import CPCRE2

/// One of spaCy's affix or URL patterns on PCRE2 (UTF, UCP, JIT), with the three ways the tokenizer asks it:
/// an anchored match at the start (`re.match`), the leftmost match ending at the end (`re.search` of a
/// pattern whose alternatives all end in `$`), and every match left to right (`re.finditer`).
///
/// The subject is always a byte range of the whole text buffer, passed with its end as the subject length and
/// its start as the start offset, so lookbehinds see exactly what Python's slice would let them see: nothing
/// before the range. (PCRE2 lookbehinds can look before the start offset, so the range's start is made the
/// buffer start by rebasing.)
final class AffixRegex: @unchecked Sendable {
    // @unchecked: the compiled code is immutable after init; PCRE2 allows concurrent matching with one compiled
    // pattern, and every call makes its own match data.
    private let code: OpaquePointer

    init?(pattern: String) {
        var errorCode: Int32 = 0
        var errorOffset = 0
        let options = UInt32(PCRE2_UTF) | UInt32(PCRE2_UCP)
        let compiled = Array(pattern.utf8).withUnsafeBufferPointer { buffer in
            pcre2_compile_8(buffer.baseAddress, buffer.count, options, &errorCode, &errorOffset, nil)
        }
        guard let compiled else { return nil }
        _ = pcre2_jit_compile_8(compiled, UInt32(PCRE2_JIT_COMPLETE))
        code = compiled
    }

    deinit { pcre2_code_free_8(code) }

    /// Match data for one thread's calls.
    final class Scratch {
        let data: OpaquePointer?
        init(_ regex: AffixRegex) { data = pcre2_match_data_create_from_pattern_8(regex.code, nil) }
        deinit { if let data { pcre2_match_data_free_8(data) } }
    }

    func scratch() -> Scratch { Scratch(self) }

    /// The first match in `b[range]` at or after byte `from` of the range (an offset into the range).
    func firstMatch(_ b: UnsafeBufferPointer<UInt8>, _ range: Range<Int>, from: Int = 0, anchored: Bool = false,
                    _ scratch: Scratch) -> Range<Int>?
    {
        guard let data = scratch.data, !range.isEmpty, let base = b.baseAddress else { return nil }
        var options = UInt32(PCRE2_NO_UTF_CHECK)
        if anchored { options |= UInt32(PCRE2_ANCHORED) }
        let subject = base + range.lowerBound
        var rc = pcre2_match_8(code, subject, range.count, from, options, data, nil)
        if rc < 0 && rc != PCRE2_ERROR_NOMATCH {
            rc = pcre2_match_8(code, subject, range.count, from, options | UInt32(PCRE2_NO_JIT), data, nil)
        }
        guard rc > 0, let vector = pcre2_get_ovector_pointer_8(data) else { return nil }
        return Int(vector[0])..<Int(vector[1])
    }

    /// Every match in `b[range]`, left to right, not overlapping (offsets into the range). Empty matches do not
    /// occur in spaCy's infix patterns; one would be skipped by a scalar.
    func allMatches(_ b: UnsafeBufferPointer<UInt8>, _ range: Range<Int>, _ scratch: Scratch) -> [Range<Int>] {
        var out: [Range<Int>] = []
        var from = 0
        while from < range.count, let m = firstMatch(b, range, from: from, scratch) {
            out.append(m)
            if m.isEmpty {
                from = m.upperBound + 1
                while from < range.count, b[range.lowerBound + from] & 0xC0 == 0x80 { from += 1 }
            } else {
                from = m.upperBound
            }
        }
        return out
    }
}
