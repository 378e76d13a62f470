import Foundation

/// Messages for people (text) or machines (one JSON object a line), always on stderr so stdout stays data.
public struct Log: Sendable {
    public enum Format: String, Sendable, CaseIterable {
        case text, json
    }

    public var format: Format
    public var quiet: Bool

    public init(format: Format = .text, quiet: Bool = false) {
        self.format = format
        self.quiet = quiet
    }

    public func info(_ message: String, _ fields: [String: String] = [:]) { emit("info", message, fields) }
    public func warning(_ message: String, _ fields: [String: String] = [:]) { emit("warning", message, fields) }
    public func error(_ message: String, _ fields: [String: String] = [:]) { emit("error", message, fields) }

    private func emit(_ level: String, _ message: String, _ fields: [String: String]) {
        if quiet && level == "info" { return }
        let line: String
        switch format {
        case .text:
            line = (level == "info" ? "" : "\(level): ") + message + "\n"
        case .json:
            var object: [String: String] = fields
            object["level"] = level
            object["message"] = message
            let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data()
            line = String(decoding: data, as: UTF8.self) + "\n"
        }
        Self.writeStderr(line)
    }

    /// Writes to stderr in one call, so lines from several threads do not interleave.
    public static func writeStderr(_ text: String) {
        var bytes = Array(text.utf8)
        bytes.withUnsafeMutableBytes { buffer in
            guard let base = buffer.baseAddress else { return }
            var offset = 0
            while offset < buffer.count {
                let n = Glibc.write(2, base + offset, buffer.count - offset)
                if n <= 0 { if errno == EINTR { continue } else { return } }
                offset += n
            }
        }
    }

    /// Whether stderr is a terminal (progress lines are drawn only then).
    public static var stderrIsTerminal: Bool { isatty(2) == 1 }
}

/// The largest resident set this process has had, in bytes (getrusage).
public func peakResidentBytes() -> Int {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return usage.ru_maxrss * 1024
}
