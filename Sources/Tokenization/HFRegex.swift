import CPCRE2

/// A tokenizer.json `Split` regex that no hand-written scanner implements, run by PCRE2 with its JIT.
///
/// `tokenizers` compiles Split patterns with Oniguruma in its Ruby syntax; PCRE2 reads the same patterns with
/// these settings: UTF-8 (`PCRE2_UTF`), Unicode properties for `\s`, `\w`, `\d` and POSIX classes (`PCRE2_UCP`),
/// and `PCRE2_MULTILINE`, because Ruby's `$` and `^` match at every line end and start (newline = LF), not
/// only at the ends of the text. Matches are found as `find_iter` finds them: left to right, non-overlapping,
/// an empty match right after the previous match skipped. The tests compare whole real tokenizer.json files
/// (the DeepSeek family) with `tokenizers` on real and adversarial text.
///
/// Why PCRE2 and not Swift `Regex`: on this machine Swift `Regex` split text at about 2 MB/s, PCRE2 with JIT at
/// about 144 MB/s and a hand-written scanner at about 265 MB/s (SPECS), so known patterns get scanners and
/// everything else this.
///
/// ```swift
/// let digits = try HFRegex(pattern: #"\p{N}{1,3}"#)
/// digits.matches(in: Array("a1234".utf8))   // [1..<4, 4..<5]
/// ```
///
/// - Complexity: compiling is O(pattern); matching is linear in the text for these patterns (no nested
///   quantifiers), as PCRE2's JIT runs them.
public final class HFRegex: HFMatcher, @unchecked Sendable {
    // @unchecked: the compiled code is immutable after init and PCRE2 documents concurrent matching with one
    // compiled pattern as safe; each call to `matches` makes its own match data.
    private let code: OpaquePointer
    /// The pattern as written in the file.
    public let pattern: String

    /// Compiles `pattern`; throws the PCRE2 message and offset when it does not compile.
    public init(pattern: String) throws(TokenizerError) {
        var errorCode: Int32 = 0
        var errorOffset = 0
        let options = UInt32(PCRE2_UTF) | UInt32(PCRE2_UCP) | UInt32(PCRE2_MULTILINE)
        let compiled = Array(pattern.utf8).withUnsafeBufferPointer { buffer in
            pcre2_compile_8(buffer.baseAddress, buffer.count, options, &errorCode, &errorOffset, nil)
        }
        guard let compiled else {
            var message = [UInt8](repeating: 0, count: 256)
            let length = pcre2_get_error_message_8(errorCode, &message, message.count)
            let text = length > 0 ? String(decoding: message.prefix(Int(length)), as: UTF8.self) : "error \(errorCode)"
            throw .unsupportedComponent(
                path: "", jsonPath: "", component: "regex \(pattern.debugDescription) (PCRE2: \(text) at \(errorOffset))")
        }
        // Without JIT support PCRE2 interprets the pattern; results are the same, only slower.
        _ = pcre2_jit_compile_8(compiled, UInt32(PCRE2_JIT_COMPLETE))
        code = compiled
        self.pattern = pattern
    }

    deinit { pcre2_code_free_8(code) }

    /// The match ranges in `buffer` (valid UTF-8), left to right.
    public func matches(in buffer: UnsafeBufferPointer<UInt8>) -> [Range<Int>] {
        if buffer.isEmpty { return [] }  // PCRE2 10.42 rejects a NULL subject, which an empty buffer may have
        guard let matchData = pcre2_match_data_create_from_pattern_8(code, nil) else { return [] }
        defer { pcre2_match_data_free_8(matchData) }
        var ranges: [Range<Int>] = []
        let count = buffer.count
        var start = 0
        var lastEnd = -1
        while start <= count {
            guard let found = match(buffer, from: start, matchData) else { break }
            if found.isEmpty {
                if found.lowerBound != lastEnd { ranges.append(found) }
                lastEnd = found.upperBound
                guard found.upperBound < count else { break }
                start = found.upperBound + utf8Length(lead: buffer[found.upperBound])
                continue
            }
            ranges.append(found)
            lastEnd = found.upperBound
            start = found.upperBound
        }
        return ranges
    }

    /// One match from `start`, or nil. A JIT failure (its stack, say) is retried by the interpreter.
    private func match(
        _ buffer: UnsafeBufferPointer<UInt8>, from start: Int, _ matchData: OpaquePointer
    ) -> Range<Int>? {
        let noCheck = UInt32(PCRE2_NO_UTF_CHECK)
        var rc = pcre2_match_8(code, buffer.baseAddress, buffer.count, start, noCheck, matchData, nil)
        if rc < 0 && rc != PCRE2_ERROR_NOMATCH {
            rc = pcre2_match_8(code, buffer.baseAddress, buffer.count, start, noCheck | UInt32(PCRE2_NO_JIT),
                               matchData, nil)
        }
        guard rc > 0, let vector = pcre2_get_ovector_pointer_8(matchData) else { return nil }
        return Int(vector[0])..<Int(vector[1])
    }

    private func utf8Length(lead: UInt8) -> Int {
        switch lead {
        case 0xF0...: return 4
        case 0xE0...: return 3
        case 0xC0...: return 2
        default: return 1
        }
    }
}
