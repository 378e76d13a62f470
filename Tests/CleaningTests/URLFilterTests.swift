import CorpusCore
import Testing

@testable import Cleaning

@Suite struct URLFilterTests {
    static func doc(_ url: String?) -> Document { Document(id: "d", text: "t", metadata: Metadata(url: url)) }

    @Test("hosts: scheme, user, port, path, case and trailing dot removed")
    func hosts() {
        #expect(URLFilter.host(of: "https://User:pw@WWW.Example.COM.:8080/path?q#f") == "www.example.com")
        #expect(URLFilter.host(of: "example.org/a") == "example.org")
        #expect(URLFilter.host(of: "//cdn.example.net") == "cdn.example.net")
        #expect(URLFilter.host(of: "http://[::1]:80/") == "[::1]")
        #expect(URLFilter.host(of: "") == nil)
    }

    @Test("blocked domains cover subdomains only; substrings; allow lists; missing urls")
    func rules() {
        let f = URLFilter(blockDomains: ["Example.com"], allowDomains: [], blockSubstrings: ["/ADS/"])
        #expect(f.evaluate(Self.doc("http://example.com")).reasonName == "url_blocked_domain")
        #expect(f.evaluate(Self.doc("http://a.b.example.com/x")).reasonName == "url_blocked_domain")
        #expect(f.evaluate(Self.doc("http://badexample.com/x")) == .keep)
        #expect(f.evaluate(Self.doc("http://news.org/ads/1")).reasonName == "url_blocked_substring")
        #expect(f.evaluate(Self.doc(nil)) == .keep)
        let allow = URLFilter(allowDomains: ["debian.org"], dropMissing: true)
        #expect(allow.evaluate(Self.doc("https://www.debian.org/doc")) == .keep)
        #expect(allow.evaluate(Self.doc("https://debian.org.evil.com/")).reasonName == "url_not_allowed")
        #expect(allow.evaluate(Self.doc(nil)).reasonName == "no_url")
    }
}
