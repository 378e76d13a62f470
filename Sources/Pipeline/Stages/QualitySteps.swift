import Cleaning
import CorpusCore
import Foundation
import Tokenization

extension StepRegistry {
    /// Quality filters: Gopher quality and repetition, C4, FineWeb, keyword and URL lists, token bounds.
    static func registerQualitySteps(_ r: inout StepRegistry) {
        r.register(
            "gopher_quality",
            summary: "Gopher quality rules (datatrove GopherQualityFilter defaults, spaCy English words); 0 "
                + "turns a rule off",
            parameters: [
                .init(name: "min_doc_words", type: "int", defaultValue: "50",
                      help: "fewest words not all punctuation (gopher_short_doc)"),
                .init(name: "max_doc_words", type: "int", defaultValue: "100000",
                      help: "most such words (gopher_long_doc)"),
                .init(name: "min_avg_word_length", type: "float", defaultValue: "3",
                      help: "least mean word length (gopher_below_avg_threshold)"),
                .init(name: "max_avg_word_length", type: "float", defaultValue: "10",
                      help: "most mean word length (gopher_above_avg_threshold)"),
                .init(name: "max_symbol_word_ratio", type: "float", defaultValue: "0.1",
                      help: "most '#' per word (gopher_too_many_hashes) and '...'/'…' per word "
                          + "(gopher_too_many_ellipsis)"),
                .init(name: "max_bullet_lines_ratio", type: "float", defaultValue: "0.9",
                      help: "most share of lines starting with • or - (gopher_too_many_bullets)"),
                .init(name: "max_ellipsis_lines_ratio", type: "float", defaultValue: "0.3",
                      help: "most share of lines ending with an ellipsis (gopher_too_many_end_ellipsis)"),
                .init(name: "max_non_alpha_words_ratio", type: "float", defaultValue: "0.8",
                      help: "least share of words holding a letter (gopher_below_alpha_threshold; datatrove's name)"),
                .init(name: "min_stop_words", type: "int", defaultValue: "2",
                      help: "fewest distinct stop words present (gopher_enough_stop_words)"),
                .init(name: "stop_words", type: "[string]", defaultValue: "the, be, to, of, and, that, have, with",
                      help: "the stop words (case-sensitive)"),
            ]
        ) { node in
            var f = GopherQualityFilter(tokenizer: try englishTokenizer(node))
            f.minDocWords = try node.int("min_doc_words", default: f.minDocWords, in: 0...)
            f.maxDocWords = try node.int("max_doc_words", default: f.maxDocWords, in: 0...)
            f.minAvgWordLength = try node.double("min_avg_word_length", default: f.minAvgWordLength, in: 0...)
            f.maxAvgWordLength = try node.double("max_avg_word_length", default: f.maxAvgWordLength, in: 0...)
            f.maxSymbolWordRatio = try node.double("max_symbol_word_ratio", default: f.maxSymbolWordRatio, in: 0...)
            f.maxBulletLinesRatio = try node.double("max_bullet_lines_ratio", default: f.maxBulletLinesRatio, in: 0...)
            f.maxEllipsisLinesRatio = try node.double("max_ellipsis_lines_ratio",
                                                      default: f.maxEllipsisLinesRatio, in: 0...)
            f.maxNonAlphaWordsRatio = try node.double("max_non_alpha_words_ratio",
                                                      default: f.maxNonAlphaWordsRatio, in: 0...)
            f.minStopWords = try node.int("min_stop_words", default: f.minStopWords, in: 0...)
            if let words = try node.stringList("stop_words") { f.stopWords = Set(words) }
            return .filter(f)
        }
        r.register(
            "gopher_repetition",
            summary: "Gopher repetition rules (datatrove GopherRepetitionFilter defaults); 0 turns a rule off",
            parameters: [
                .init(name: "dup_line_frac", type: "float", defaultValue: "0.3",
                      help: "most share of repeated lines (dup_line_frac)"),
                .init(name: "dup_para_frac", type: "float", defaultValue: "0.3",
                      help: "most share of repeated paragraphs (dup_para_frac)"),
                .init(name: "dup_line_char_frac", type: "float", defaultValue: "0.2",
                      help: "most share of characters in repeated lines (dup_line_char_frac)"),
                .init(name: "dup_para_char_frac", type: "float", defaultValue: "0.2",
                      help: "most share of characters in repeated paragraphs (dup_para_char_frac)"),
                .init(name: "top_n_grams", type: "[string]", defaultValue: "2:0.2, 3:0.18, 4:0.16",
                      help: "n:fraction, most share of characters of the top word n-gram (top_<n>_gram)"),
                .init(name: "dup_n_grams", type: "[string]",
                      defaultValue: "5:0.15, 6:0.14, 7:0.13, 8:0.12, 9:0.11, 10:0.1",
                      help: "n:fraction, most share of characters in repeated word n-grams (duplicated_<n>_n_grams)"),
            ]
        ) { node in
            var f = GopherRepetitionFilter(tokenizer: try englishTokenizer(node))
            f.dupLineFrac = try node.double("dup_line_frac", default: f.dupLineFrac, in: 0...)
            f.dupParaFrac = try node.double("dup_para_frac", default: f.dupParaFrac, in: 0...)
            f.dupLineCharFrac = try node.double("dup_line_char_frac", default: f.dupLineCharFrac, in: 0...)
            f.dupParaCharFrac = try node.double("dup_para_char_frac", default: f.dupParaCharFrac, in: 0...)
            if let list = try node.stringList("top_n_grams") { f.topNGrams = try nGramList(list, node) }
            if let list = try node.stringList("dup_n_grams") { f.dupNGrams = try nGramList(list, node) }
            return .filter(f)
        }
        r.register(
            "c4",
            summary: "C4 rules (datatrove C4QualityFilter defaults): removes lines, drops pages; kept text "
                + "equals datatrove's",
            parameters: [
                .init(name: "remove_citations", type: "bool", defaultValue: "true",
                      help: "remove [12], [edit], [citation needed]"),
                .init(name: "filter_no_terminal_punct", type: "bool", defaultValue: "true",
                      help: "remove lines not ending in . ? ! \" ' (or ending in ...)"),
                .init(name: "min_num_sentences", type: "int", defaultValue: "5",
                      help: "fewest sentences kept, -1 off (too_few_sentences)"),
                .init(name: "min_words_per_line", type: "int", defaultValue: "3",
                      help: "remove lines with fewer words, -1 off"),
                .init(name: "max_word_length", type: "int", defaultValue: "1000",
                      help: "remove lines with a longer word, -1 off"),
                .init(name: "filter_lorem_ipsum", type: "bool", defaultValue: "true",
                      help: "drop pages with 'lorem ipsum' (lorem_ipsum)"),
                .init(name: "filter_javascript", type: "bool", defaultValue: "true",
                      help: "remove lines mentioning javascript"),
                .init(name: "filter_curly_bracket", type: "bool", defaultValue: "true",
                      help: "drop pages with '{' (curly_bracket)"),
                .init(name: "filter_policy", type: "bool", defaultValue: "true",
                      help: "remove terms-of-use / privacy / cookie lines"),
            ]
        ) { node in
            var t = C4QualityTransform(tokenizer: try englishTokenizer(node))
            t.removeCitations = try node.bool("remove_citations", default: t.removeCitations)
            t.filterNoTerminalPunct = try node.bool("filter_no_terminal_punct", default: t.filterNoTerminalPunct)
            t.minSentences = try node.int("min_num_sentences", default: t.minSentences, in: (-1)...)
            t.minWordsPerLine = try node.int("min_words_per_line", default: t.minWordsPerLine, in: (-1)...)
            t.maxWordLength = try node.int("max_word_length", default: t.maxWordLength, in: (-1)...)
            t.filterLoremIpsum = try node.bool("filter_lorem_ipsum", default: t.filterLoremIpsum)
            t.filterJavascript = try node.bool("filter_javascript", default: t.filterJavascript)
            t.filterCurlyBracket = try node.bool("filter_curly_bracket", default: t.filterCurlyBracket)
            t.filterPolicy = try node.bool("filter_policy", default: t.filterPolicy)
            return .transform(t)
        }
        r.register(
            "c4_badwords",
            summary: "drop documents holding a listed bad word between non-word characters (datatrove "
                + "C4BadWordsFilter)",
            parameters: [
                .init(name: "words_file", type: "string", defaultValue: "required",
                      help: "the list, one entry a line (e.g. LDNOOBW's en)"),
                .init(name: "default_language", type: "string", defaultValue: "en",
                      help: "language of documents without a 'language' field; ja, th, zh match without "
                          + "word boundaries"),
            ]
        ) { node in
            let path = try node.requireString("words_file")
            let language = try node.string("default_language", default: "en")
            do {
                return .filter(try C4BadWordsFilter(path: path, defaultLanguage: language))
            } catch {
                throw RecipeError.invalidValue(at: node.location, message: "cannot read words_file '\(path)': \(error)")
            }
        }
        r.register(
            "fineweb",
            summary: "FineWeb quality rules (datatrove FineWebQualityFilter defaults)",
            parameters: [
                .init(name: "line_punct_thr", type: "float", defaultValue: "0.12",
                      help: "least share of lines ending in terminal punctuation (line_punct_ratio)"),
                .init(name: "line_punct_exclude_zero", type: "bool", defaultValue: "false",
                      help: "let a share of 0 pass"),
                .init(name: "short_line_thr", type: "float", defaultValue: "0.67",
                      help: "most share of short lines (short_line_ratio)"),
                .init(name: "short_line_length", type: "int", defaultValue: "30",
                      help: "a short line has at most this many characters"),
                .init(name: "char_duplicates_ratio", type: "float", defaultValue: "0.01",
                      help: "most share of characters in repeated lines (char_dup_ratio)"),
                .init(name: "new_line_ratio", type: "float", defaultValue: "0.3",
                      help: "most newlines per word (list_ratio)"),
            ]
        ) { node in
            var f = FineWebQualityFilter(tokenizer: try englishTokenizer(node))
            f.linePunctThreshold = try node.double("line_punct_thr", default: f.linePunctThreshold, in: 0...1)
            f.linePunctExcludeZero = try node.bool("line_punct_exclude_zero", default: f.linePunctExcludeZero)
            f.shortLineThreshold = try node.double("short_line_thr", default: f.shortLineThreshold, in: 0...1)
            f.shortLineLength = try node.int("short_line_length", default: f.shortLineLength, in: 0...)
            f.charDuplicatesRatio = try node.double("char_duplicates_ratio", default: f.charDuplicatesRatio, in: 0...)
            f.newLineRatio = try node.double("new_line_ratio", default: f.newLineRatio, in: 0...)
            return .filter(f)
        }
        r.register(
            "tokens",
            summary: "keep documents whose token count under a tokenizer file lies within bounds",
            parameters: [
                .init(name: "tokenizer", type: "string", defaultValue: "required",
                      help: "tokenizer.json, .tiktoken or SentencePiece .model"),
                .init(name: "encoding", type: "string", defaultValue: "from the file name",
                      help: "tiktoken encoding name (cl100k_base …)"),
                .init(name: "min_tokens", type: "int", defaultValue: "0", help: "fewest tokens (too_few_tokens)"),
                .init(name: "max_tokens", type: "int", defaultValue: "none", help: "most tokens (too_many_tokens)"),
            ]
        ) { node in
            let path = try node.requireString("tokenizer")
            let encoding = try node.string("encoding")
            let minTokens = try node.int("min_tokens", default: 0, in: 0...)
            let maxTokens = try node.int("max_tokens", in: 0...) ?? .max
            guard maxTokens >= minTokens else {
                throw RecipeError.invalidValue(at: node.location, message: "max_tokens must be ≥ min_tokens")
            }
            let encoder: any TokenEncoder
            do {
                encoder = try TokenizerFile.load(path: path, encoding: encoding)
            } catch {
                throw RecipeError.invalidValue(at: node.location, message: "\(error)")
            }
            return .filter(TokenCountFilter(encoder: encoder, minTokens: minTokens, maxTokens: maxTokens))
        }
        r.register(
            "keywords",
            summary: "block or allow lists of words and phrases, case-insensitive, matched on whole words",
            parameters: [
                .init(name: "block", type: "[string]", defaultValue: "[]",
                      help: "drop documents holding one (keyword_<entry>)"),
                .init(name: "block_file", type: "string", defaultValue: "none", help: "more block entries, one a line"),
                .init(name: "allow", type: "[string]", defaultValue: "[]",
                      help: "when given, drop documents holding none (no_allowed_keyword)"),
                .init(name: "allow_file", type: "string", defaultValue: "none", help: "more allow entries, one a line"),
            ]
        ) { node in
            let block = try node.stringList("block", default: []) + readList(try node.string("block_file"), node)
            let allow = try node.stringList("allow", default: []) + readList(try node.string("allow_file"), node)
            guard !block.isEmpty || !allow.isEmpty else {
                throw RecipeError.invalidValue(at: node.location, message: "keywords needs block or allow entries")
            }
            return .filter(KeywordFilter(block: block, allow: allow))
        }
        r.register(
            "url",
            summary: "block or allow lists of domains (with subdomains) and URL substrings, on metadata url",
            parameters: [
                .init(name: "block_domains", type: "[string]", defaultValue: "[]",
                      help: "drop documents under these domains (url_blocked_domain)"),
                .init(name: "block_domains_file", type: "string", defaultValue: "none",
                      help: "more blocked domains, one a line"),
                .init(name: "allow_domains", type: "[string]", defaultValue: "[]",
                      help: "when given, drop documents under none (url_not_allowed)"),
                .init(name: "block_substrings", type: "[string]", defaultValue: "[]",
                      help: "drop URLs holding one, case-insensitive (url_blocked_substring)"),
                .init(name: "drop_missing", type: "bool", defaultValue: "false",
                      help: "drop documents without a url (no_url)"),
            ]
        ) { node in
            let block = try node.stringList("block_domains",
                                            default: []) + readList(try node.string("block_domains_file"), node)
            let allow = try node.stringList("allow_domains", default: [])
            let substrings = try node.stringList("block_substrings", default: [])
            let dropMissing = try node.bool("drop_missing", default: false)
            return .filter(URLFilter(blockDomains: block, allowDomains: allow, blockSubstrings: substrings,
                                     dropMissing: dropMissing))
        }
    }
}

private func englishTokenizer(_ node: RecipeNode) throws -> SpacyWordTokenizer {
    switch SpacyWordTokenizer.english {
    case let .success(t): return t
    case let .failure(error):
        throw RecipeError.invalidValue(at: node.location, message: "the English word tokenizer did not load: \(error)")
    }
}

/// `["2:0.2", …]` → [(2, 0.2), …].
private func nGramList(_ list: [String], _ node: RecipeNode) throws -> [(Int, Double)] {
    try list.map { item in
        let parts = item.split(separator: ":")
        guard parts.count == 2, let n = Int(parts[0].trimmingCharacters(in: .whitespaces)), n > 0,
              let fraction = Double(parts[1].trimmingCharacters(in: .whitespaces)), fraction >= 0
        else {
            throw RecipeError.invalidValue(at: node.location, message: "n-gram entry '\(item)' is not n:fraction")
        }
        return (n, fraction)
    }
}

/// The non-empty lines of a list file; none for a nil path.
private func readList(_ path: String?, _ node: RecipeNode) throws -> [String] {
    guard let path else { return [] }
    do {
        return try String(contentsOfFile: path, encoding: .utf8).components(separatedBy: "\n")
            .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    } catch {
        throw RecipeError.invalidValue(at: node.location, message: "cannot read '\(path)': \(error)")
    }
}
