import CorpusIO
import Foundation

/// Runs scripts/`script` of this checkout with `python`, `request` on its stdin, and parses the JSON it prints:
/// the reference side of a `ptk bench` command, measured in the same run.
///
/// - Throws: `RunError.stageFailed` when the script exits non-zero; `JSONError` when its output is not JSON.
func runBenchScript(python: String, script: String, request: String) throws -> JSONValue {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: python)
    p.arguments = [benchScriptPath(script)]
    let input = Pipe(), output = Pipe()
    p.standardInput = input
    p.standardOutput = output
    try p.run()
    input.fileHandleForWriting.write(Data(request.utf8))
    try input.fileHandleForWriting.close()
    let data = output.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    guard p.terminationStatus == 0 else {
        throw RunError.stageFailed(file: benchScriptPath(script), underlying: "exit status \(p.terminationStatus)")
    }
    return try JSONParser.parse(String(decoding: data, as: UTF8.self))
}

/// scripts/<name> of this checkout (found from the source file, as the tests do).
func benchScriptPath(_ name: String) -> String {
    URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("scripts/\(name)").path
}

extension JSONValue {
    /// The number at `path`, or nil.
    func number(at path: [String]) -> Double? {
        if case let .number(text)? = value(at: path) { return Double(text) }
        return nil
    }

    /// The string at `path`, or nil.
    func string(at path: [String]) -> String? {
        if case let .string(text)? = value(at: path) { return text }
        return nil
    }
}

/// Calls `body` with each non-empty line of a small text file (benchmark outputs).
func readLines(_ path: String, _ body: (String) throws -> Void) throws {
    let text = try String(contentsOfFile: path, encoding: .utf8)
    for line in text.split(separator: "\n") where !line.isEmpty { try body(String(line)) }
}
