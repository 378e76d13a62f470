/// Finds e-mail addresses, phone numbers, IPs, card numbers, IBANs, Chinese resident IDs, US SSNs and secrets
/// in UTF-8 text, with hand-written scanners on bytes (every kind is ASCII, so a match always starts and ends
/// on an ASCII byte and cutting it out keeps the text valid UTF-8).
///
/// One forward pass: at each token start (a byte whose predecessor is not an ASCII letter, digit or `_`) the
/// scanners for that first byte are tried in a fixed order and the first that matches wins; the scan then
/// resumes after the match. E-mail addresses are found first, from each `@`, and no other match may overlap
/// one. Checksums and structure rules keep the near misses out:
///
/// - e-mail: local part `[A-Za-z0-9._%+-]{1,64}` (not starting or ending with `.`), `@`, two or more domain
///   labels, the last one letters only (≥ 2).
/// - phone: `+` and 8–15 digits in groups split by one space, `-`, `.` or a `(…)` group (E.164 length);
///   `(NXX) NXX-XXXX` and `[1-]NXX-NXX-XXXX` / `[1.]NXX.NXX.XXXX` (North American numbering, N = 2…9); Chinese mobiles
///   `1[3-9]` + 9 digits, bare or as 3-4-4 with spaces or dashes. Dates, versions and longer digit runs do not
///   match: numbers may not continue with `.`/`-` + digit on either side.
/// - ip: IPv4 with four octets 0…255 (no leading zeros), not part of a longer dotted number and not a section
///   number (`12.6.2.1. Title` at the start of a line); IPv6 with 8
///   groups, or fewer with one `::`, optionally ending in an IPv4.
/// - credit_card: 13–19 digits, bare or in groups of 3–6 split by one space or dash, passing the Luhn check and
///   starting with a known issuer prefix (Visa, Mastercard, Amex, Discover, Diners, JCB, UnionPay, Maestro).
/// - iban: a country code with its registered length, two check digits, the account part (upper case, in
///   groups of four split by spaces or not), passing ISO 13616 mod-97.
/// - cn_id: 17 digits and a digit or `X`, a valid province code and birth date (1900–2099), and the ISO 7064
///   MOD 11-2 check character.
/// - ssn: `AAA-GG-SSSS`, area not 000, 666 or 900–999, group not 00, serial not 0000.
/// - secret: AWS access key ids (`AKIA` + 16), GitHub tokens (`ghp_`/`gho_`/`ghu_`/`ghs_`/`ghr_` + 36,
///   `github_pat_` + 22 or more), Slack (`xoxb-`, `xoxp-`, …), OpenAI (`sk-` + 20 or more, with a digit),
///   Google API keys (`AIza` + 35), Stripe (`sk_live_`/`rk_live_`), PEM private-key blocks, JWTs (three
///   base64url parts, the first two starting with `eyJ`).
///
/// - Complexity: O(n) in the text's bytes; each candidate is bounded (≤ 64 bytes back for an e-mail's local
///   part), except PEM blocks, which run to their END line.
public struct PIIScanner: Sendable {
    public let kinds: Set<PIIKind>
    // One flag per kind: a Set lookup hashes, and the scan asks at every token start.
    private let wantEmail, wantPhone, wantIP, wantCard, wantIBAN, wantCNID, wantSSN, wantSecret: Bool

    public init(kinds: Set<PIIKind> = Set(PIIKind.allCases)) {
        self.kinds = kinds
        wantEmail = kinds.contains(.email)
        wantPhone = kinds.contains(.phone)
        wantIP = kinds.contains(.ip)
        wantCard = kinds.contains(.creditCard)
        wantIBAN = kinds.contains(.iban)
        wantCNID = kinds.contains(.cnID)
        wantSSN = kinds.contains(.ssn)
        wantSecret = kinds.contains(.secret)
    }

    /// The matches in `text`, in order, never overlapping.
    public func matches(in text: String) -> [PIIMatch] {
        var copy = text
        return copy.withUTF8 { matches(in: $0) }
    }

    public func matches(in b: UnsafeBufferPointer<UInt8>) -> [PIIMatch] {
        var out: [PIIMatch] = []
        let emails = wantEmail ? scanEmails(b) : []
        let numeric = wantPhone || wantIP || wantCard || wantCNID || wantSSN
        let n = b.count
        var e = 0
        var i = 0
        var prevWord = false
        while i < n {
            if e < emails.count, i >= emails[e].range.lowerBound {
                out.append(emails[e])
                i = emails[e].range.upperBound
                prevWord = true
                e += 1
                continue
            }
            let c = b[i]
            if prevWord || c >= 0x80 || c <= 0x20 {
                prevWord = isWordByte(c)
                i += 1
                continue
            }
            var found: (PIIKind, Int)?
            if isDigit(c) {
                if numeric { found = scanNumeric(b, i) }
            } else if c == 0x2B || c == 0x28 {  // + (
                if wantPhone, let end = scanPhone(b, i) { found = (.phone, end) }
            } else if isAlpha(c) {
                if wantSecret, let end = scanSecret(b, i) { found = (.secret, end) }
                if found == nil, wantIBAN, let end = scanIBAN(b, i) { found = (.iban, end) }
                if found == nil, wantIP, isHex(c), let end = scanIPv6(b, i) { found = (.ip, end) }
            } else if c == 0x3A {  // :
                if wantIP, let end = scanIPv6(b, i) { found = (.ip, end) }
            } else if c == 0x2D {  // -
                if wantSecret, let end = scanPEM(b, i) { found = (.secret, end) }
            }
            if let (kind, end) = found, e >= emails.count || end <= emails[e].range.lowerBound {
                out.append(PIIMatch(kind: kind, range: i..<end))
                i = end
                prevWord = true
                continue
            }
            prevWord = isWordByte(c)
            i += 1
        }
        return out
    }

    // MARK: - Numbers

    private func scanNumeric(_ b: UnsafeBufferPointer<UInt8>, _ i: Int) -> (PIIKind, Int)? {
        // A number glued to a previous one by `.`, `-`, `/` or `:` (1.2.3.4.5, 2024-01-15) is not a start.
        if i >= 2, isNumberGlue(b[i - 1]), isDigit(b[i - 2]) { return nil }
        if wantCNID, let end = scanCNID(b, i) { return (.cnID, end) }
        if wantSSN, let end = scanSSN(b, i) { return (.ssn, end) }
        if wantCard, let end = scanCard(b, i) { return (.creditCard, end) }
        if wantIP {
            if let end = scanIPv4(b, i), !isSectionNumber(b, i, end) { return (.ip, end) }
            if let end = scanIPv6(b, i) { return (.ip, end) }
        }
        if wantPhone, let end = scanPhone(b, i) { return (.phone, end) }
        return nil
    }

    /// True when a number ends at `j`: no letter, digit or `_` follows, nor `.`/`-`/`/` + digit.
    @inline(__always)
    private func numberEnds(_ b: UnsafeBufferPointer<UInt8>, _ j: Int, allowPort: Bool = false) -> Bool {
        guard j < b.count else { return true }
        let c = b[j]
        if isWordByte(c) { return false }
        if j + 1 < b.count, isDigit(b[j + 1]) {
            if c == 0x2E || c == 0x2D { return false }
            if !allowPort, c == 0x2F || c == 0x3A { return false }
        }
        return true
    }

    /// Digits from `j`: the index after them.
    @inline(__always)
    private func digitRun(_ b: UnsafeBufferPointer<UInt8>, _ j: Int, max: Int = .max) -> Int {
        var k = j
        while k < b.count, k - j < max, isDigit(b[k]) { k += 1 }
        return k
    }

    private func scanCNID(_ b: UnsafeBufferPointer<UInt8>, _ i: Int) -> Int? {
        guard i + 18 <= b.count, digitRun(b, i, max: 17) == i + 17 else { return nil }
        let last = b[i + 17]
        guard isDigit(last) || last == 0x58 || last == 0x78, numberEnds(b, i + 18) else { return nil }
        func d(_ k: Int) -> Int { Int(b[i + k] &- 0x30) }
        guard PIIScanner.cnProvinces.contains(d(0) * 10 + d(1)) else { return nil }
        let year = d(6) * 1000 + d(7) * 100 + d(8) * 10 + d(9)
        let month = d(10) * 10 + d(11), day = d(12) * 10 + d(13)
        guard (1900...2099).contains(year), isValidDate(year: year, month: month, day: day) else { return nil }
        var sum = 0
        for k in 0..<17 { sum += d(k) * PIIScanner.cnWeights[k] }
        let expected = PIIScanner.cnCheck[sum % 11]
        let actual = last == 0x78 ? 0x58 : last
        return actual == expected ? i + 18 : nil
    }

    static let cnWeights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    static let cnCheck: [UInt8] = Array("10X98765432".utf8)
    static let cnProvinces: Set<Int> = [11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43,
                                        44, 45, 46, 50, 51, 52, 53, 54, 61, 62, 63, 64, 65, 71, 81, 82, 83, 91]

    private func scanSSN(_ b: UnsafeBufferPointer<UInt8>, _ i: Int) -> Int? {
        guard i + 11 <= b.count, digitRun(b, i) == i + 3, b[i + 3] == 0x2D, digitRun(b, i + 4) == i + 6,
              b[i + 6] == 0x2D, digitRun(b, i + 7) == i + 11, numberEnds(b, i + 11) else { return nil }
        func v(_ from: Int, _ count: Int) -> Int {
            var x = 0
            for k in from..<(from + count) { x = x * 10 + Int(b[i + k] &- 0x30) }
            return x
        }
        let area = v(0, 3), group = v(4, 2), serial = v(7, 4)
        guard area != 0, area != 666, area < 900, group != 0, serial != 0 else { return nil }
        return i + 11
    }

    private func scanIPv4(_ b: UnsafeBufferPointer<UInt8>, _ i: Int) -> Int? {
        var j = i
        for octet in 0..<4 {
            let k = digitRun(b, j, max: 4)
            let len = k - j
            guard len >= 1, len <= 3 else { return nil }
            if len > 1, b[j] == 0x30 { return nil }
            var v = 0
            for p in j..<k { v = v * 10 + Int(b[p] &- 0x30) }
            guard v <= 255 else { return nil }
            j = k
            if octet < 3 {
                guard j + 1 < b.count, b[j] == 0x2E, isDigit(b[j + 1]) else { return nil }
                j += 1
            }
        }
        return numberEnds(b, j, allowPort: true) ? j : nil
    }

    /// `12.6.2.1. Title`: a dotted number that opens its line and ends with a period is a section number.
    private func isSectionNumber(_ b: UnsafeBufferPointer<UInt8>, _ i: Int, _ end: Int) -> Bool {
        guard end < b.count, b[end] == 0x2E, end + 1 >= b.count || !isAlnum(b[end + 1]) else {
            return false
        }
        var k = i
        while k > 0, b[k - 1] == 0x20 || b[k - 1] == 0x09 { k -= 1 }
        return k == 0 || b[k - 1] == 0x0A
    }

    /// Card numbers: the longest run of groups with 13–19 digits in all that passes the issuer and Luhn checks.
    private func scanCard(_ b: UnsafeBufferPointer<UInt8>, _ i: Int) -> Int? {
        let n = b.count
        var j = i
        var total = 0
        var groups = 0
        var separator: UInt8 = 0
        var best: Int?
        while j < n {
            let k = digitRun(b, j, max: 20)
            let len = k - j
            total += len
            groups += 1
            if total > 19 { break }
            let more = k + 1 < n && (b[k] == 0x20 || b[k] == 0x2D) && isDigit(b[k + 1])
                && (separator == 0 || b[k] == separator)
            // Grouped numbers (4-4-4-4, 4-6-5, 4-4-4-4-3) have groups of 3–6 digits.
            if groups > 1 || more, !(3...6).contains(len) { break }
            if total >= 13, more || numberEnds(b, k), cardChecks(b, i, k, digits: total) { best = k }
            guard more else { break }
            separator = b[k]
            j = k + 1
        }
        // A match cut before the next group must still end the number (not glued to letters).
        if let end = best, end < n, isWordByte(b[end]) { return nil }
        return best
    }

    private func cardChecks(_ b: UnsafeBufferPointer<UInt8>, _ i: Int, _ end: Int, digits: Int) -> Bool {
        var prefix = 0
        var taken = 0
        var sum = 0
        var position = 0
        var k = end - 1
        while k >= i {
            let c = b[k]
            if isDigit(c) {
                var d = Int(c &- 0x30)
                if position & 1 == 1 {
                    d *= 2
                    if d > 9 { d -= 9 }
                }
                sum += d
                position += 1
            }
            k -= 1
        }
        guard sum % 10 == 0 else { return false }
        k = i
        while k < end, taken < 6 {
            if isDigit(b[k]) {
                prefix = prefix * 10 + Int(b[k] &- 0x30)
                taken += 1
            }
            k += 1
        }
        return PIIScanner.knownIssuer(prefix6: prefix, length: digits)
    }

    /// Whether a card number of `length` digits starting with `prefix6` (its first six digits) belongs to a known
    /// issuer range.
    static func knownIssuer(prefix6 p: Int, length: Int) -> Bool {
        let p1 = p / 100_000, p2 = p / 10_000, p3 = p / 1000, p4 = p / 100
        switch true {
        case p1 == 4: return length == 13 || length == 16 || length == 19
        case (51...55).contains(p2), (2221...2720).contains(p4): return length == 16
        case p2 == 34 || p2 == 37: return length == 15
        case p4 == 6011, (644...649).contains(p3), p2 == 65: return length >= 16
        case (3528...3589).contains(p4): return length >= 16
        case (300...305).contains(p3), p2 == 36, p2 == 38, p2 == 39: return length >= 14
        case p2 == 62: return length >= 16
        case p2 == 50, (56...58).contains(p2): return length >= 13
        default: return false
        }
    }

    private func scanPhone(_ b: UnsafeBufferPointer<UInt8>, _ i: Int) -> Int? {
        let n = b.count
        let c = b[i]
        if c == 0x2B {  // +CC …: 8–15 digits in groups
            guard i + 1 < n, isDigit(b[i + 1]) else { return nil }
            var j = i + 1
            var digits = 0
            var best: Int?
            while j < n {
                if isDigit(b[j]) {
                    let k = digitRun(b, j, max: 16)
                    digits += k - j
                    j = k
                    if digits > 15 { break }
                    if digits >= 8, numberEnds(b, j) || (j + 1 < n && isPhoneSeparator(b[j])) { best = j }
                } else if b[j] == 0x28 {  // (0)30
                    let k = digitRun(b, j + 1, max: 5)
                    guard k > j + 1, k < n, b[k] == 0x29 else { break }
                    digits += k - j - 1
                    j = k + 1
                    if j < n, isDigit(b[j]) { continue }
                } else {
                    break
                }
                guard j + 1 < n, isPhoneSeparator(b[j]), isDigit(b[j + 1]) || b[j + 1] == 0x28 else { break }
                j += 1
            }
            if let end = best, end < n, isWordByte(b[end]) { return nil }
            return best
        }
        if c == 0x28 {  // (NXX) NXX-XXXX
            guard i + 13 <= n, digitRun(b, i + 1, max: 4) == i + 4, b[i + 4] == 0x29, b[i + 1] >= 0x32 else {
                return nil
            }
            var j = i + 5
            if b[j] == 0x20 { j += 1 }
            guard j + 8 <= n, digitRun(b, j, max: 4) == j + 3, b[j] >= 0x32, b[j + 3] == 0x2D || b[j + 3] == 0x20,
                  digitRun(b, j + 4, max: 5) == j + 8, numberEnds(b, j + 8) else { return nil }
            return j + 8
        }
        // Chinese mobile: 1[3-9] + 9 digits, bare or 3-4-4.
        if c == 0x31, i + 11 <= n, b[i + 1] >= 0x33, b[i + 1] <= 0x39 {
            if digitRun(b, i, max: 12) == i + 11, numberEnds(b, i + 11) { return i + 11 }
            if i + 13 <= n, digitRun(b, i, max: 4) == i + 3, b[i + 3] == 0x20 || b[i + 3] == 0x2D {
                let s = b[i + 3]
                if digitRun(b, i + 4, max: 5) == i + 8, b[i + 8] == s, digitRun(b, i + 9, max: 5) == i + 13,
                   numberEnds(b, i + 13) { return i + 13 }
            }
        }
        // 1-NXX-NXX-XXXX (the North American trunk prefix, same separator throughout).
        if c == 0x31, i + 14 <= n, b[i + 1] == 0x2D || b[i + 1] == 0x2E, let end = nanp(b, i + 2),
           b[i + 5] == b[i + 1] { return end }
        return nanp(b, i)
    }

    /// NXX-NXX-XXXX or NXX.NXX.XXXX from `i`.
    private func nanp(_ b: UnsafeBufferPointer<UInt8>, _ i: Int) -> Int? {
        let n = b.count
        let c = b[i]
        if c >= 0x32, i + 12 <= n, digitRun(b, i, max: 4) == i + 3, b[i + 3] == 0x2D || b[i + 3] == 0x2E {
            let s = b[i + 3]
            if b[i + 4] >= 0x32, digitRun(b, i + 4, max: 4) == i + 7, b[i + 7] == s,
               digitRun(b, i + 8, max: 5) == i + 12, numberEnds(b, i + 12) { return i + 12 }
        }
        return nil
    }

    // MARK: - IPv6

    private func scanIPv6(_ b: UnsafeBufferPointer<UInt8>, _ i: Int) -> Int? {
        let n = b.count
        // Quick reject: a hex group of at most four digits then ':', or '::'.
        var q = i
        while q < n, q - i <= 4, isHex(b[q]) { q += 1 }
        guard q < n, q - i <= 4, b[q] == 0x3A else { return nil }
        if q == i, !(q + 1 < n && b[q + 1] == 0x3A) { return nil }
        var j = i
        var groups = 0
        var compressed = false
        var end = i
        var endsWithColons = false
        while j < n {
            if b[j] == 0x3A {
                if j + 1 < n, b[j + 1] == 0x3A {
                    if compressed { return nil }
                    compressed = true
                    j += 2
                    end = j
                    endsWithColons = true
                    if j < n, isHex(b[j]) { continue }
                    break
                }
                guard j > i, j + 1 < n, isHex(b[j + 1]) else { break }
                j += 1
                continue
            }
            let k0 = j
            var k = j
            while k < n, k - k0 <= 4, isHex(b[k]) { k += 1 }
            if k < n, b[k] == 0x2E, groups <= 6, let v4 = scanIPv4(b, k0) {  // trailing IPv4
                groups += 2
                end = v4
                endsWithColons = false
                j = v4
                break
            }
            guard k - k0 >= 1, k - k0 <= 4 else { return nil }
            groups += 1
            end = k
            endsWithColons = false
            j = k
            guard j < n, b[j] == 0x3A else { break }
            if groups >= 8 { break }
        }
        guard compressed ? groups <= 7 : groups == 8 else { return nil }
        if compressed, groups < 2, !(groups == 1 && b[i] == 0x3A) { return nil }  // ::1 yes, a::, f:: no
        if end < n, isWordByte(b[end]) || b[end] == 0x3A && !endsWithColons { return nil }
        if end < n, b[end] == 0x2E, end + 1 < n, isHex(b[end + 1]) { return nil }
        return end
    }

    // MARK: - IBAN

    private func scanIBAN(_ b: UnsafeBufferPointer<UInt8>, _ i: Int) -> Int? {
        let n = b.count
        guard i + 4 < n, isUpper(b[i]), isUpper(b[i + 1]), isDigit(b[i + 2]), isDigit(b[i + 3]),
              let length = PIIScanner.ibanLengths[UInt16(b[i]) << 8 | UInt16(b[i + 1])] else { return nil }
        var chars = 0
        var j = i
        var remainder = 0
        var ends: Int?
        // mod 97 of BBAN + country + check digits: the BBAN first, then the four leading characters.
        func feed(_ c: UInt8) {
            if isDigit(c) {
                remainder = (remainder * 10 + Int(c &- 0x30)) % 97
            } else {
                remainder = (remainder * 100 + Int(c &- 0x41) + 10) % 97
            }
        }
        while j < n, chars < length {
            let c = b[j]
            if isDigit(c) || isUpper(c) {
                if chars >= 4 { feed(c) }
                chars += 1
                j += 1
            } else if c == 0x20, chars % 4 == 0, chars > 0, j + 1 < n, isDigit(b[j + 1]) || isUpper(b[j + 1]) {
                j += 1
            } else {
                break
            }
        }
        guard chars == length, j >= n || !isWordByte(b[j]) else { return nil }
        ends = j
        for k in i..<(i + 4) { feed(b[k]) }
        return remainder == 1 ? ends : nil
    }

    /// IBAN lengths by country (ISO 13616 registry), keyed by the two letters.
    static let ibanLengths: [UInt16: Int] = {
        let table: [(String, Int)] = [
            ("AD", 24), ("AE", 23), ("AL", 28), ("AT", 20), ("AZ", 28), ("BA", 20), ("BE", 16), ("BG", 22),
            ("BH", 22), ("BR", 29), ("BY", 28), ("CH", 21), ("CR", 22), ("CY", 28), ("CZ", 24), ("DE", 22),
            ("DK", 18), ("DO", 28), ("EE", 20), ("EG", 29), ("ES", 24), ("FI", 18), ("FO", 18), ("FR", 27),
            ("GB", 22), ("GE", 22), ("GI", 23), ("GL", 18), ("GR", 27), ("GT", 28), ("HR", 21), ("HU", 28),
            ("IE", 22), ("IL", 23), ("IQ", 23), ("IS", 26), ("IT", 27), ("JO", 30), ("KW", 30), ("KZ", 20),
            ("LB", 28), ("LC", 32), ("LI", 21), ("LT", 20), ("LU", 20), ("LV", 21), ("MC", 27), ("MD", 24),
            ("ME", 22), ("MK", 19), ("MR", 27), ("MT", 31), ("MU", 30), ("NL", 18), ("NO", 15), ("PK", 24),
            ("PL", 28), ("PS", 29), ("PT", 25), ("QA", 29), ("RO", 24), ("RS", 22), ("SA", 24), ("SC", 31),
            ("SE", 24), ("SI", 19), ("SK", 24), ("SM", 27), ("ST", 25), ("SV", 28), ("TL", 23), ("TN", 24),
            ("TR", 26), ("UA", 29), ("VA", 22), ("VG", 24), ("XK", 20),
        ]
        var map: [UInt16: Int] = [:]
        for (code, length) in table {
            let u = Array(code.utf8)
            map[UInt16(u[0]) << 8 | UInt16(u[1])] = length
        }
        return map
    }()

    // MARK: - Secrets

    private func scanSecret(_ b: UnsafeBufferPointer<UInt8>, _ i: Int) -> Int? {
        let n = b.count
        @inline(__always) func has(_ p: StaticString) -> Bool {
            let count = p.utf8CodeUnitCount
            guard i + count <= n else { return false }
            let s = p.utf8Start
            for k in 0..<count where b[i + k] != s[k] { return false }
            return true
        }
        /// The end of a run of `allowed` bytes from `from`, if it has `min`…`max` bytes and ends the token.
        @inline(__always) func run(_ from: Int, min: Int, max: Int = 512, _ allowed: (UInt8) -> Bool) -> Int? {
            var k = from
            while k < n, k - from < max, allowed(b[k]) { k += 1 }
            guard k - from >= min, k >= n || !(isAlnum(b[k]) || b[k] == 0x5F) else { return nil }
            return k
        }
        switch b[i] {
        case 0x41:  // A
            if has("AKIA") { return run(i + 4, min: 16, max: 16) { isDigit($0) || isUpper($0) } }
            if has("AIza") { return run(i + 4, min: 35, max: 35) { isAlnum($0) || $0 == 0x5F || $0 == 0x2D } }
        case 0x67:  // g
            if has("github_pat_") { return run(i + 11, min: 22) { isAlnum($0) || $0 == 0x5F } }
            if i + 4 <= n, b[i + 1] == 0x68, b[i + 3] == 0x5F,
               b[i + 2] == 0x70 || b[i + 2] == 0x6F || b[i + 2] == 0x75 || b[i + 2] == 0x73 || b[i + 2] == 0x72
            {
                return run(i + 4, min: 36, max: 255) { isAlnum($0) }
            }
        case 0x78:  // x
            if has("xox"), i + 4 < n, b[i + 4] == 0x2D, b[i + 3] == 0x61 || b[i + 3] == 0x62 || b[i + 3] == 0x70
                || b[i + 3] == 0x72 || b[i + 3] == 0x73 || b[i + 3] == 0x65
            {
                return run(i + 5, min: 10) { isAlnum($0) || $0 == 0x2D }
            }
        case 0x73, 0x72:  // s r
            if has("sk_live_") || has("rk_live_") { return run(i + 8, min: 16) { isAlnum($0) } }
            if has("sk-"), let end = run(i + 3, min: 20, { isAlnum($0) || $0 == 0x5F || $0 == 0x2D }) {
                var digit = false, letter = false
                for k in (i + 3)..<end {
                    if isDigit(b[k]) { digit = true } else if isAlpha(b[k]) { letter = true }
                }
                return digit && letter ? end : nil
            }
        case 0x65:  // e: JWT
            guard has("eyJ") else { return nil }
            let base64url: (UInt8) -> Bool = { isAlnum($0) || $0 == 0x5F || $0 == 0x2D }
            var k = i
            while k < n, base64url(b[k]) { k += 1 }
            guard k - i >= 10, k + 4 < n, b[k] == 0x2E, b[k + 1] == 0x65, b[k + 2] == 0x79, b[k + 3] == 0x4A else {
                return nil
            }
            var m = k + 1
            while m < n, base64url(b[m]) { m += 1 }
            guard m - k - 1 >= 10, m < n, b[m] == 0x2E else { return nil }
            return run(m + 1, min: 10, base64url)
        default:
            break
        }
        return nil
    }

    /// A PEM private-key block from `-----BEGIN … PRIVATE KEY-----` to its END line (or, without one, to the
    /// end of the base64 lines that follow).
    private func scanPEM(_ b: UnsafeBufferPointer<UInt8>, _ i: Int) -> Int? {
        let n = b.count
        guard i + 27 <= n, b[i + 4] == 0x2D, b[i + 5] == 0x42 else { return nil }  // "-----B"
        let begin = PIIScanner.pemBegin, tail = PIIScanner.pemTail, end = PIIScanner.pemEnd
        func matches(_ p: [UInt8], at k: Int) -> Bool {
            guard k + p.count <= n else { return false }
            for (o, c) in p.enumerated() where b[k + o] != c { return false }
            return true
        }
        guard matches(begin, at: i) else { return nil }
        var k = i + begin.count
        while k < n, k - i < 64, isUpper(b[k]) || b[k] == 0x20 || isDigit(b[k]) {
            if matches(tail, at: k) { break }
            k += 1
        }
        guard matches(tail, at: k) else { return nil }
        k += tail.count
        // Look for the END line within the block's base64 body.
        var m = k
        while m < n {
            let c = b[m]
            if matches(end, at: m) {
                var e = m + end.count
                while e < n, e - m < 80, b[e] != 0x0A {
                    if matches(tail, at: e) { return e + tail.count }
                    e += 1
                }
                return m
            }
            if c == 0x0A, m + 1 < n, b[m + 1] == 0x0A { break }  // a blank line ends a block without END
            guard isAlnum(c) || c == 0x2B || c == 0x2F || c == 0x3D || c == 0x0A || c == 0x0D || c == 0x20
                    || c == 0x3A || c == 0x2D || c == 0x2C else { break }
            m += 1
        }
        while m > k, b[m - 1] == 0x0A || b[m - 1] == 0x0D || b[m - 1] == 0x20 { m -= 1 }
        return m
    }

    static let pemBegin = Array("-----BEGIN ".utf8), pemTail = Array("PRIVATE KEY-----".utf8)
    static let pemEnd = Array("-----END ".utf8)

    // MARK: - E-mail

    private func scanEmails(_ b: UnsafeBufferPointer<UInt8>) -> [PIIMatch] {
        var out: [PIIMatch] = []
        let n = b.count
        var a = 0
        var floor = 0
        while a < n {
            guard b[a] == 0x40 else {
                a += 1
                continue
            }
            var s = a
            while s > floor, a - s < 64, isLocalByte(b[s - 1]) { s -= 1 }
            if s > floor, isLocalByte(b[s - 1]) {  // local part longer than 64
                a += 1
                continue
            }
            while s < a, b[s] == 0x2E { s += 1 }
            guard s < a, b[a - 1] != 0x2E else {
                a += 1
                continue
            }
            var j = a + 1
            var labels = 0
            var good: Int?
            while j < n {
                let start = j
                var letters = true
                while j < n, isAlnum(b[j]) || b[j] == 0x2D {
                    if !isAlpha(b[j]) { letters = false }
                    j += 1
                }
                guard j > start, b[start] != 0x2D, b[j - 1] != 0x2D else { break }
                labels += 1
                if labels >= 2, letters, j - start >= 2 { good = j }
                guard j + 1 < n, b[j] == 0x2E, isAlnum(b[j + 1]) else { break }
                j += 1
            }
            if let end = good, end >= n || !(isWordByte(b[end]) || b[end] == 0x40) {
                out.append(PIIMatch(kind: .email, range: s..<end))
                floor = end
                a = end
            } else {
                a += 1
            }
        }
        return out
    }
}

// MARK: - Byte classes

@inline(__always) func isDigit(_ c: UInt8) -> Bool { c &- 0x30 < 10 }
@inline(__always) func isUpper(_ c: UInt8) -> Bool { c &- 0x41 < 26 }
@inline(__always) func isAlpha(_ c: UInt8) -> Bool { (c | 0x20) &- 0x61 < 26 }
@inline(__always) func isAlnum(_ c: UInt8) -> Bool { isDigit(c) || isAlpha(c) }
@inline(__always) func isHex(_ c: UInt8) -> Bool { isDigit(c) || (c | 0x20) &- 0x61 < 6 }
/// ASCII letters, digits and `_`: bytes that continue a token.
@inline(__always) func isWordByte(_ c: UInt8) -> Bool { isAlnum(c) || c == 0x5F }
@inline(__always) private func isNumberGlue(_ c: UInt8) -> Bool { c == 0x2E || c == 0x2D || c == 0x2F || c == 0x3A }
@inline(__always) private func isPhoneSeparator(_ c: UInt8) -> Bool { c == 0x20 || c == 0x2D || c == 0x2E }
@inline(__always) private func isLocalByte(_ c: UInt8) -> Bool {
    isAlnum(c) || c == 0x2E || c == 0x5F || c == 0x25 || c == 0x2B || c == 0x2D
}

private func isValidDate(year: Int, month: Int, day: Int) -> Bool {
    guard (1...12).contains(month), day >= 1 else { return false }
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
    let days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
    return day <= days[month - 1]
}
