import Cleaning
import CorpusCore
import Testing

/// The matches' kinds and texts, for compact expectations.
private func found(_ text: String, kinds: Set<PIIKind> = Set(PIIKind.allCases)) -> [String] {
    let bytes = Array(text.utf8)
    return PIIScanner(kinds: kinds).matches(in: text).map {
        "\($0.kind.rawValue):" + String(decoding: bytes[$0.range], as: UTF8.self)
    }
}

@Suite struct PIIScannerTests {
    @Test("positives, one per form, found with their exact extent", arguments: [
        ("mail me at john.doe+news@mail.example.co.uk.", "email:john.doe+news@mail.example.co.uk"),
        ("<a@b.io>", "email:a@b.io"),
        ("call +1 415-555-0132 now", "phone:+1 415-555-0132"),
        ("tel. +44 20 7946 0958", "phone:+44 20 7946 0958"),
        ("Tel: +86 138 0013 8000", "phone:+86 138 0013 8000"),
        ("Berlin +49 (0)30 1234567", "phone:+49 (0)30 1234567"),
        ("E.164 +14155550132.", "phone:+14155550132"),
        ("office (415) 555-0132", "phone:(415) 555-0132"),
        ("office (415)555-0132", "phone:(415)555-0132"),
        ("dial 415-555-0132 or", "phone:415-555-0132"),
        ("dial 415.555.0132 or", "phone:415.555.0132"),
        ("toll-free 1-800-555-0199.", "phone:1-800-555-0199"),
        ("Paris +33 1 23 45 67 89", "phone:+33 1 23 45 67 89"),
        ("Tokyo +81-3-1234-5678", "phone:+81-3-1234-5678"),
        ("Mumbai +91 98765 43210", "phone:+91 98765 43210"),
        ("手机13800138000联系", "phone:13800138000"),
        ("手机 138-0013-8000", "phone:138-0013-8000"),
        ("host 192.168.1.1 is up", "ip:192.168.1.1"),
        ("connect to 10.0.0.1:8080", "ip:10.0.0.1"),
        ("net 10.0.0.0/8 only", "ip:10.0.0.0"),
        ("v6 2001:db8::1 ok", "ip:2001:db8::1"),
        ("v6 2001:0db8:85a3:0000:0000:8a2e:0370:7334.", "ip:2001:0db8:85a3:0000:0000:8a2e:0370:7334"),
        ("link fe80::1ff:fe23:4567:890a%eth0", "ip:fe80::1ff:fe23:4567:890a"),
        ("loopback ::1 here", "ip:::1"),
        ("mapped ::ffff:192.0.2.128 here", "ip:::ffff:192.0.2.128"),
        ("card 4111 1111 1111 1111 exp", "credit_card:4111 1111 1111 1111"),
        ("card 5555-5555-5555-4444.", "credit_card:5555-5555-5555-4444"),
        ("amex 3782 822463 10005", "credit_card:3782 822463 10005"),
        ("disc 6011111111111117", "credit_card:6011111111111117"),
        ("jcb 3530111333300000", "credit_card:3530111333300000"),
        ("IBAN DE89 3704 0044 0532 0130 00 bitte", "iban:DE89 3704 0044 0532 0130 00"),
        ("IBAN DE89370400440532013000.", "iban:DE89370400440532013000"),
        ("GB82 WEST 1234 5698 7654 32", "iban:GB82 WEST 1234 5698 7654 32"),
        ("FR14 2004 1010 0505 0001 3M02 606", "iban:FR14 2004 1010 0505 0001 3M02 606"),
        ("身份证11010519491231002X。", "cn_id:11010519491231002X"),
        ("id 440301199003071230", "cn_id:440301199003071230"),
        ("SSN 123-45-6789.", "ssn:123-45-6789"),
        ("key AKIAIOSFODNN7EXAMPLE", "secret:AKIAIOSFODNN7EXAMPLE"),
        ("token=ghp_abcdefghijklmnopqrstuvwxyz0123456789", "secret:ghp_abcdefghijklmnopqrstuvwxyz0123456789"),
        ("github_pat_11ABCDEFG0123456789_abcdefghijklmnop", "secret:github_pat_11ABCDEFG0123456789_abcdefghijklmnop"),
        ("SLACK xoxb-123456789012-abcdefGHIJ", "secret:xoxb-123456789012-abcdefGHIJ"),
        ("OPENAI_API_KEY=sk-proj-Ab3dEf6hIj9kLmN0pQrStU", "secret:sk-proj-Ab3dEf6hIj9kLmN0pQrStU"),
        ("g AIzaSyA1234567890abcdefghijklmnopqrstuv", "secret:AIzaSyA1234567890abcdefghijklmnopqrstuv"),
        ("stripe sk_live_4eC39HqLyjWDarjtT1zdp7dc", "secret:sk_live_4eC39HqLyjWDarjtT1zdp7dc"),
        ("Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
         "secret:eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U"),
    ])
    func positives(_ text: String, _ expected: String) {
        #expect(found(text) == [expected], "\(text)")
    }

    @Test("a PEM private-key block is one secret, from BEGIN to END")
    func pem() {
        let block = "-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA0Z3VS5JJcds3xfn/ygWyF8PbnGy0\nAHB7MhgHcTz6sE2I2yPB\n-----END RSA PRIVATE KEY-----"
        #expect(found("key:\n" + block + "\nthanks") == ["secret:" + block])
        let open = "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC"
        #expect(found(open + "\n\nmore text") == ["secret:" + open])
        #expect(found("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----").isEmpty)
    }

    @Test("near misses are not matched", arguments: [
        "bad luhn 4111 1111 1111 1112",
        "bad luhn 4111111111111112",
        "unknown issuer 9999 9999 9999 9995",
        "ISBN 978-3-16-148410-0 and 9783161484100",
        "order number 123456789012345678 shipped",
        "bad IBAN DE89 3704 0044 0532 0130 01",
        "IBAN wrong length DE89 3704 0044 0532 0130",
        "octet 256.1.1.1 out of range",
        "version 1.2.3.4.5 released",
        "leading zeros 01.02.03.04",
        "date 2024-01-15 and 15.01.2024 and 01/15/2024",
        "time 12:30:45 and mac 00:1a:2b:3c:4d:5e",
        "C++ std::vector and Foo::Bar",
        "wrong check 110105194912310021",
        "bad date 110105194902300020",
        "SSN 000-12-3456 666-12-3456 900-12-3456 123-00-4567 123-45-0000",
        "not a mobile 12800138000 or 138001380001",
        "plain 12345 and 3.14159 and +5 points",
        "user@localhost and @handle and a@b",
        "pip install scikit-learn sk-learn sk-abcdefghijklmnopqrstuvwxyz",
        "AKIA1234 is short",
        "price 1,234,567.89 USD",
        "Contents\n    12.6.2.1. Section title\n6.2.4.1. Another\n12.6.2.2.\u{A0}NBSP",
        "tel 1-800-555-0199x",
        "phone +1234 short",
        "mixed 1-800.555-0199 and 1.800-555-0199",
        "Copyright 1999-2023 and ranges 10-20-30",
    ])
    func negatives(_ text: String) {
        #expect(found(text).isEmpty, "\(text): \(found(text))")
    }

    @Test("kinds limit what is scanned")
    func kinds() {
        let text = "a@b.com 192.168.0.1 +1 415-555-0132"
        #expect(found(text, kinds: [.ip]) == ["ip:192.168.0.1"])
        #expect(found(text, kinds: [.email, .phone]) == ["email:a@b.com", "phone:+1 415-555-0132"])
    }

    @Test("replace keeps the text around matches and is idempotent")
    func replace() {
        let scrubber = PIIScrubber()
        let text = "Écrivez à marie@exemple.fr — 电话 +86 138 0013 8000, IP 10.1.2.3; carte 4111-1111-1111-1111 ✓"
        let once = scrubber.scrub(text)
        #expect(once == "Écrivez à <EMAIL> — 电话 <PHONE>, IP <IP>; carte <CREDIT_CARD> ✓")
        #expect(scrubber.scrub(once ?? "") == nil)
        #expect(scrubber.scrub("nothing here 1.2.3") == nil)
        let custom = PIIScrubber(kinds: [.email], placeholders: [.email: "[email]"])
        var doc = Document(id: "1", text: "x a@b.de y 10.0.0.1")
        #expect(custom.apply(to: &doc) == .keep)
        #expect(doc.text == "x [email] y 10.0.0.1")
    }

    @Test("drop mode names the first kind and counts without quoting")
    func drop() {
        let filter = PIIFilter()
        let d = filter.evaluate(Document(id: "1", text: "SSN 123-45-6789, mail a@b.com, c@d.org"))
        #expect(d == .drop(reason: "pii_ssn", detail: "2 email, 1 ssn, first at byte 4"))
        #expect(filter.evaluate(Document(id: "2", text: "clean text 2024-01-01")) == .keep)
    }

    @Test("random bytes: matches are ordered, disjoint, on ASCII boundaries; scrubbing is idempotent")
    func property() {
        var random = SeededRandom(seed: 7)
        let alphabet = Array("0123456789 -.:+()@abcdefxyzAKIA_\n世".unicodeScalars)
        let scrubber = PIIScrubber()
        for _ in 0..<2000 {
            var s = String.UnicodeScalarView()
            for _ in 0..<Int(random.next() % 60) { s.append(alphabet[Int(random.next() % UInt64(alphabet.count))]) }
            let text = String(s)
            let ms = PIIScanner().matches(in: text)
            var last = 0
            for m in ms {
                #expect(m.range.lowerBound >= last && m.range.upperBound > m.range.lowerBound)
                last = m.range.upperBound
            }
            if let once = scrubber.scrub(text) { #expect(scrubber.scrub(once) == nil, "\(text)") }
        }
    }
}
