/// The kinds of personal data and secrets `PIIScanner` finds.
///
/// The raw value names the kind in recipes (`kinds: [email, phone]`) and in drop reasons (`pii_email`).
public enum PIIKind: String, Sendable, CaseIterable, Hashable, Comparable {
    case email
    case phone
    /// IPv4 and IPv6 addresses.
    case ip
    case creditCard = "credit_card"
    case iban
    /// Chinese resident identity card number (GB 11643).
    case cnID = "cn_id"
    /// US social security number.
    case ssn
    /// API keys and tokens with a known prefix, PEM private-key blocks, JWTs.
    case secret

    /// The placeholder written in place of a match in `replace` mode, unless the recipe names another.
    public var defaultPlaceholder: String {
        switch self {
        case .email: "<EMAIL>"
        case .phone: "<PHONE>"
        case .ip: "<IP>"
        case .creditCard: "<CREDIT_CARD>"
        case .iban: "<IBAN>"
        case .cnID: "<CN_ID>"
        case .ssn: "<SSN>"
        case .secret: "<SECRET>"
        }
    }

    public static func < (lhs: PIIKind, rhs: PIIKind) -> Bool {
        (allCases.firstIndex(of: lhs) ?? 0) < (allCases.firstIndex(of: rhs) ?? 0)
    }
}

/// One match: its kind and its byte range in the UTF-8 text.
public struct PIIMatch: Sendable, Equatable, CustomStringConvertible {
    public var kind: PIIKind
    public var range: Range<Int>

    public init(kind: PIIKind, range: Range<Int>) {
        self.kind = kind
        self.range = range
    }

    public var description: String { "\(kind.rawValue)@\(range.lowerBound)..<\(range.upperBound)" }
}
