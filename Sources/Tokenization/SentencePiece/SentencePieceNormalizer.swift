/// SentencePiece's text normalization: charsmap rules, then whitespace handling, on UTF-8 bytes.
///
/// Follows `normalizer::Normalizer::Normalize`: user-defined pieces are copied untouched (longest match first);
/// elsewhere the precompiled charsmap's longest rule applies, or one character is copied (an invalid UTF-8 byte
/// becomes U+FFFD). With `removeExtraWhitespaces`, leading spaces are dropped, a rule output's leading spaces are
/// dropped after a space, and trailing spaces are cut; `addDummyPrefix` puts one space first (last with
/// `treatWhitespaceAsSuffix`); `escapeWhitespaces` writes each space as "▁" (U+2581).
///
/// ```swift
/// let normalizer = SentencePieceNormalizer(charsmap: nil, addDummyPrefix: true, removeExtraWhitespaces: false,
///                                          escapeWhitespaces: true)
/// normalizer.normalize(Array("Hi there".utf8))   // Array("▁Hi▁there".utf8)
/// ```
///
/// - Complexity: O(n) for n input bytes.
public struct SentencePieceNormalizer: Sendable {
    public let charsmap: PrecompiledCharsmap?
    public let addDummyPrefix: Bool
    public let removeExtraWhitespaces: Bool
    public let escapeWhitespaces: Bool
    public let treatWhitespaceAsSuffix: Bool
    /// Pieces copied as they are (SentencePiece's prefix matcher of user-defined pieces).
    let protected: PieceTrie?
    /// ASCII bytes that no charsmap rule and no protected piece starts with: copied as they are, without a
    /// trie walk or a step value (most of English text and code; about a third of `.model` encode time went to
    /// those steps).
    let plainASCII: [Bool]

    /// "▁" U+2581 LOWER ONE EIGHTH BLOCK, SentencePiece's visible space.
    public static let spaceSymbol: [UInt8] = [0xE2, 0x96, 0x81]

    public init(
        charsmap: PrecompiledCharsmap?, addDummyPrefix: Bool, removeExtraWhitespaces: Bool, escapeWhitespaces: Bool,
        treatWhitespaceAsSuffix: Bool = false, protectedPieces: [[UInt8]] = []
    ) {
        self.charsmap = charsmap
        self.addDummyPrefix = addDummyPrefix
        self.removeExtraWhitespaces = removeExtraWhitespaces
        self.escapeWhitespaces = escapeWhitespaces
        self.treatWhitespaceAsSuffix = treatWhitespaceAsSuffix
        let pieces = protectedPieces.filter { !$0.isEmpty }
        let protectedTrie = pieces.isEmpty ? nil : PieceTrie(pieces: pieces.enumerated().map { ($1, Int32($0)) })
        protected = protectedTrie
        plainASCII = (0..<128).map { byte in
            !(charsmap?.hasRule(startingWith: UInt8(byte)) ?? false)
                && protectedTrie?.child(0, UInt8(byte)) == nil
        }
    }

    /// One step at `start`: the bytes it stands for (as a range of `input`, or replacement bytes) and its length.
    private func step(_ input: [UInt8], at start: Int) -> (replacement: PrecompiledCharsmap.Step, length: Int) {
        if let protected {
            var node = 0, at = start, longest = 0
            while at < input.count, let next = protected.child(node, input[at]) {
                node = next
                at += 1
                if protected.piece(at: node) != nil { longest = at - start }
            }
            if longest > 0 { return (.copy, longest) }
        }
        if let charsmap { return charsmap.normalizePrefix(input, at: start) }
        return SentencePieceUTF8.characterStep(input, at: start)
    }

    /// The normalized bytes of `input`.
    ///
    /// ```swift
    /// normalizer.normalize(Array("  a  b ".utf8))   // "▁a▁b" with removeExtraWhitespaces, "▁▁▁a▁▁b▁" without
    /// ```
    ///
    /// - Complexity: O(n).
    public func normalize(_ input: [UInt8]) -> [UInt8] {
        if input.isEmpty { return [] }
        let space = UInt8(ascii: " ")
        var position = 0
        if removeExtraWhitespaces {
            while position < input.count {
                let next = step(input, at: position)
                guard isSingleSpace(next.replacement, input, position, next.length) else { break }
                position += next.length
            }
        }
        if position == input.count { return [] }
        var out: [UInt8] = []
        out.reserveCapacity(input.count + input.count / 2 + 3)
        let whitespace: [UInt8] = escapeWhitespaces ? Self.spaceSymbol : [space]
        if !treatWhitespaceAsSuffix && addDummyPrefix { out.append(contentsOf: whitespace) }
        var previousIsSpace = removeExtraWhitespaces
        while position < input.count {
            let byte = input[position]
            if byte < 0x80 && plainASCII[Int(byte)] {  // the general step below, specialized to one plain byte
                if byte != space {
                    out.append(byte)
                    previousIsSpace = false
                } else if !previousIsSpace {
                    out.append(contentsOf: whitespace)
                    previousIsSpace = true
                }
                position += 1
                if !removeExtraWhitespaces { previousIsSpace = false }
                continue
            }
            let next = step(input, at: position)
            let piece: ArraySlice<UInt8>
            switch next.replacement {
            case .rule(let replacement): piece = replacement
            case .copy: piece = input[position..<(position + next.length)]
            case .invalidByte: piece = SentencePieceUTF8.replacementCharacter[...]
            }
            var from = piece.startIndex
            if previousIsSpace { while from < piece.endIndex, piece[from] == space { from += 1 } }
            if from < piece.endIndex {
                for byte in piece[from...] {
                    if escapeWhitespaces && byte == space { out.append(contentsOf: Self.spaceSymbol) } else { out.append(byte) }
                }
                previousIsSpace = piece.last == space
            }
            position += next.length
            if !removeExtraWhitespaces { previousIsSpace = false }
        }
        if removeExtraWhitespaces {
            while out.count >= whitespace.count, out[(out.count - whitespace.count)...].elementsEqual(whitespace) {
                out.removeLast(whitespace.count)
            }
        }
        if treatWhitespaceAsSuffix && addDummyPrefix { out.append(contentsOf: whitespace) }
        return out
    }

    /// Whether a step's output is exactly one space " ".
    private func isSingleSpace(
        _ replacement: PrecompiledCharsmap.Step, _ input: [UInt8], _ position: Int, _ length: Int
    ) -> Bool {
        switch replacement {
        case .rule(let bytes): bytes.count == 1 && bytes.first == UInt8(ascii: " ")
        case .copy: length == 1 && input[position] == UInt8(ascii: " ")
        case .invalidByte: false
        }
    }
}
