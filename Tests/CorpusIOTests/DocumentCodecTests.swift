import CorpusCore
import CorpusIO
import Foundation
import Testing

private func parse(_ text: String, replace: Bool = false) throws(JSONError) -> JSONValue {
    try JSONParser.parse(text, replaceInvalidUTF8: replace)
}

private func parseBytes(_ bytes: [UInt8], replace: Bool = false) -> Result<JSONValue, JSONError> {
    bytes.withUnsafeBytes { b in Result { () throws(JSONError) in try JSONParser.parse(b, replaceInvalidUTF8: replace) } }
}

@Suite("JSON")
struct JSONTests {
    @Test("valid documents", arguments: [
        "{}", "[]", "0", "-0.5e+10", "\"\"", "true", "null", " {\"a\" : [1, 2.5, -3e2, {\"b\": null}]} \r\n",
        "\"\\u00e9\\ud83d\\ude00\\n\\t\\\"\\\\\\/\"", "{\"a\":1,\"a\":2}",
    ])
    func valid(text: String) throws {
        _ = try parse(text)
    }

    @Test("invalid documents are errors, never crashes", arguments: [
        "", "{", "}", "[1,]", "{\"a\":}", "{\"a\" 1}", "01", "1.", "-", "1e", "tru", "nul", "\"abc", "\"\\x\"",
        "\"\\u12\"", "{\"a\":1}}", "[1 2]", "\"a\tb\"", "{'a':1}", "NaN", "[", "{\"a\":1,}", "\"\\",
    ])
    func invalid(text: String) {
        #expect(throws: JSONError.self) { try parse(text) }
    }

    @Test("values, numbers kept as literal text, duplicate key keeps the last")
    func values() throws {
        let v = try parse("{\"id\": 12345678901234567890, \"x\": {\"y\": [true, null, \"z\"]}, \"k\": 1, \"k\": 2}")
        #expect(v.value(at: ["id"]) == .number("12345678901234567890"))
        #expect(v.value(at: ["x", "y"]) == .array([.bool(true), .null, .string("z")]))
        #expect(v.value(at: ["k"]) == .number("2"))
        #expect(v.value(at: ["x", "nope"]) == nil)
    }

    @Test("escapes and surrogate pairs decode to the right scalars")
    func escapes() throws {
        #expect(try parse("\"\\u00e9\\ud83d\\ude00\\n\"") == .string("é😀\n"))
        #expect(try parse("\"a\\/b\"") == .string("a/b"))
    }

    @Test("invalid UTF-8 and lone surrogates: rejected by default, U+FFFD when replacing")
    func invalidUTF8() throws {
        let bad: [UInt8] = Array("\"caf".utf8) + [0xE9] + Array("\"".utf8)
        guard case .failure(.invalidUTF8) = parseBytes(bad) else {
            Issue.record("expected invalidUTF8")
            return
        }
        #expect((try? parseBytes(bad, replace: true).get()) == .string("caf\u{FFFD}"))
        #expect(throws: JSONError.invalidUTF8(offset: 0)) { try parse("\"\\ud800\"") }
        #expect(try parse("\"\\ud800x\"", replace: true) == .string("\u{FFFD}x"))
        // Overlong encoding and a surrogate encoded in UTF-8 are invalid too.
        guard case .failure(.invalidUTF8) = parseBytes([0x22, 0xC0, 0xAF, 0x22]),
              case .failure(.invalidUTF8) = parseBytes([0x22, 0xED, 0xA0, 0x80, 0x22])
        else {
            Issue.record("expected invalidUTF8 for overlong / surrogate bytes")
            return
        }
    }

    @Test("deep nesting is an error, not a stack overflow")
    func deep() {
        let text = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        #expect(throws: JSONError.self) { try parse(text) }
    }

    @Test("writer → parser round trip on random values (property)")
    func roundTrip() throws {
        var rng = SeededRandom(seed: 5)
        let alphabet: [String] = ["a", "é", "\"", "\\", "\n", "\u{0}", "\u{1F}", "😀", "中", "\u{2028}", " ", "/"]
        func randomString() -> String {
            (0..<Int(rng.next() % 12)).map { _ in alphabet[Int(rng.next() % UInt64(alphabet.count))] }.joined()
        }
        func randomValue(_ depth: Int) -> JSONValue {
            switch rng.next() % (depth > 3 ? 4 : 6) {
            case 0: return .null
            case 1: return .bool(rng.next() % 2 == 0)
            case 2: return .number(String(Int64(bitPattern: rng.next()) >> 20))
            case 3: return .string(randomString())
            case 4: return .array((0..<Int(rng.next() % 4)).map { _ in randomValue(depth + 1) })
            default:
                var o = JSONObject()
                for _ in 0..<Int(rng.next() % 4) { o.append(randomString(), randomValue(depth + 1)) }
                return .object(o)
            }
        }
        for _ in 0..<2000 {
            let v = randomValue(0)
            #expect(try parse(v.jsonText) == v)
        }
    }

    @Test("writer escapes exactly what JSON requires and agrees with Python's json")
    func pythonAgrees() throws {
        let s = "q\"b\\n\n\t\r\u{8}\u{C}\u{1}é😀\u{7F}"
        var w = JSONWriter()
        w.string(s)
        #expect(w.string == "\"q\\\"b\\\\n\\n\\t\\r\\b\\f\\u0001é😀\u{7F}\"")
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", "-c", "import json,sys; print(json.loads(sys.stdin.read()) == \(pythonLiteral(s)))"]
        let input = Pipe(), output = Pipe()
        p.standardInput = input
        p.standardOutput = output
        try p.run()
        input.fileHandleForWriting.write(Data(w.bytes))
        try input.fileHandleForWriting.close()
        p.waitUntilExit()
        let answer = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(answer.trimmingCharacters(in: .whitespacesAndNewlines) == "True")
    }

    private func pythonLiteral(_ s: String) -> String {
        "'" + s.unicodeScalars.map { String(format: "\\U%08x", $0.value) }.joined() + "'"
    }
}

@Suite("Document codec")
struct DocumentCodecTests {
    private func decode(_ line: String, fields: DocumentFields = DocumentFields(), replace: Bool = false)
        -> Result<Document, RecordProblem>
    {
        var copy = line
        return copy.withUTF8 {
            DocumentDecoder(fields: fields, replaceInvalidUTF8: replace, source: "src")
                .decode(UnsafeRawBufferPointer($0), origin: Origin(file: "in.jsonl", line: 7))
        }
    }

    @Test("field paths, synthesized ids, flattened metadata")
    func fields() throws {
        let fields = DocumentFields(text: ["content"], id: ["doc_id"], url: ["meta", "url"])
        let d = try decode("{\"content\":\"hi there\",\"meta\":{\"url\":\"https://a.org/x\",\"lang\":\"en\",\"n\":3},\"tags\":[1]}",
                           fields: fields).get()
        #expect(d.text == "hi there")
        #expect(d.id == "in.jsonl:7")
        #expect(d.metadata.url == "https://a.org/x")
        #expect(d.metadata.source == "src")
        #expect(d.metadata.fields == ["lang": "en", "n": "3", "tags": "[1]"])
        let nested = try decode("{\"text\":\"t\",\"a\":{\"b\":{\"c\":1}},\"source\":\"wiki\"}").get()
        #expect(nested.metadata.fields == ["a.b.c": "1", "source": "wiki"], "kept in the map, not lost")
        #expect(nested.metadata.source == "src", "the input's label wins over the record's source")
        #expect(try decode("{\"text\":\"x\",\"id\":42}").get().id == "42")
    }

    @Test("each problem has its reason", arguments: [
        ("{\"text\": \"a", ReadRejection.malformedJSON),
        ("[1,2]", ReadRejection.notAnObject),
        ("{\"body\": \"x\"}", ReadRejection.missingText),
        ("{\"text\": 5}", ReadRejection.textNotString),
        ("{\"text\": \"\"}", ReadRejection.emptyText),
        ("{\"text\": \" \\n\\t \"}", ReadRejection.emptyText),
        ("{\"text\": \"\\udc00\"}", ReadRejection.invalidUTF8),
    ])
    func problems(line: String, reason: String) {
        guard case let .failure(problem) = decode(line) else {
            Issue.record("expected a rejection for \(line)")
            return
        }
        #expect(problem.reason == reason)
    }

    @Test("encode → decode gives the same document")
    func roundTrip() throws {
        let d = Document(id: "a\"b", text: "line 1\nline \"2\" 😀\t\u{0}",
                         metadata: Metadata(url: "https://x.org", source: "src", fields: ["z": "1", "a": "é"]),
                         origin: Origin(file: "in.jsonl", line: 7))
        var w = JSONWriter()
        DocumentEncoder.encode(d, into: &w)
        #expect(w.bytes.last == 0x0A)
        #expect(w.string.hasPrefix("{\"id\":\"a\\\"b\",\"text\":"))
        let line = String(w.string.dropLast())
        var copy = line
        let back = try copy.withUTF8 {
            DocumentDecoder().decode(UnsafeRawBufferPointer($0), origin: Origin(file: "in.jsonl", line: 7))
        }.get()
        #expect(back == d, "decode(encode(d)) must give d back: metadata included, on every pass")
    }

    @Test("a reject entry keeps non-UTF-8 records as base64")
    func rejectEntry() throws {
        var w = JSONWriter()
        RejectEntry(id: nil, origin: Origin(file: "f", line: 3), stage: "read", reason: "invalid_utf8", detail: "d",
                    record: [0x7B, 0xFF, 0x7D]).encode(into: &w)
        let v = try JSONParser.parse(String(w.string.dropLast()))
        #expect(v.value(at: ["record_base64"]) == .string("e/99"))
        #expect(v.value(at: ["line"]) == .number("3"))
        #expect(v.value(at: ["id"]) == .null)
    }
}

@Suite("Fast paths equal their references")
struct FastPathTests {
    @Test("SWAR string scan equals the byte loop on random bytes (property)")
    func scan() {
        var rng = SeededRandom(seed: 11)
        let special: [UInt8] = [0x22, 0x5C, 0x00, 0x1F, 0x20, 0x21, 0x5B, 0x5D, 0x7F, 0x80, 0xFF, 0x0A, 0x23, 0x5D]
        for _ in 0..<5000 {
            let n = Int(rng.next() % 40)
            let bytes = (0..<n).map { _ in
                rng.next() % 4 == 0 ? special[Int(rng.next() % UInt64(special.count))] : UInt8(0x41 + rng.next() % 26)
            }
            bytes.withUnsafeBytes { b in
                for start in 0...n {
                    #expect(scanPlainRun(b, from: start) == scanPlainRunReference(b, from: start))
                }
            }
        }
    }

    @Test("long strings with escapes at every offset round-trip")
    func longStrings() throws {
        for position in 0..<40 {
            for insert in ["\"", "\\", "\n", "\u{1}", "é", "😀"] {
                var chars = Array(repeating: "a", count: 40)
                chars[position] = insert
                let s = chars.joined()
                var w = JSONWriter()
                w.string(s)
                #expect(try JSONParser.parse(w.string) == .string(s))
            }
        }
    }

    @Test("script ordinal matches allCases order")
    func ordinals() {
        for (i, s) in Script.allCases.enumerated() { #expect(s.ordinal == i) }
    }

    @Test("script profile scalar count equals unicodeScalars.count on mixed text")
    func scalarCount() {
        for text in ["", "abc", "é中😀 \u{0301}", "Привет мир 東京 สวัสดี 🎉🎉", String(repeating: "x", count: 1000)] {
            #expect(ScriptProfile(text).scalarCount == text.unicodeScalars.count)
        }
    }
}

@Suite("JSON integers")
struct JSONIntegerTests {
    @Test("integer(_:) equals String(_:) at every digit-count edge and on random values")
    func digits() {
        var values: [UInt32] = [0, 1, 9, 10, 99, 100, 65_535, 100_257, UInt32.max]
        var rng = SeededRandom(seed: 4)
        for _ in 0..<2000 { values.append(UInt32(truncatingIfNeeded: rng.next() >> UInt64(rng.next() % 32))) }
        for v in values {
            var w = JSONWriter()
            w.integer(v)
            #expect(w.string == String(v))
        }
    }
}
