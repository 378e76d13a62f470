import Cleaning
import CorpusCore

extension StepRegistry {
    /// PII scrubbing, decontamination against evaluation sets, language identification.
    static func registerPrivacySteps(_ r: inout StepRegistry) {
        let kindNames = PIIKind.allCases.map(\.rawValue).joined(separator: ", ")
        r.register(
            "pii", summary: "replace e-mails, phones, IPs, card numbers, IBANs, CN IDs, SSNs and secrets with typed "
                + "placeholders, or drop documents that contain them",
            parameters: [
                .init(name: "kinds", type: "[string]", defaultValue: "all", help: "what to find: \(kindNames)"),
                .init(name: "mode", type: "string", defaultValue: "replace",
                      help: "replace (a transform writing placeholders) or drop (a filter, reason pii_<kind>)"),
                .init(name: "placeholders", type: "{kind: string}", defaultValue: "<EMAIL>, <PHONE>, <IP>, "
                      + "<CREDIT_CARD>, <IBAN>, <CN_ID>, <SSN>, <SECRET>",
                      help: "placeholder per kind in replace mode, e.g. {email: \"[email]\"}"),
            ]
        ) { node in
            let kinds = try piiKinds(node)
            switch try node.choice("mode", default: PIIMode.replace) {
            case .drop:
                if try node.contains("placeholders") {
                    throw RecipeError.invalidValue(at: node.location, message: "placeholders apply to mode: replace only")
                }
                return .filter(PIIFilter(kinds: kinds))
            case .replace:
                var placeholders: [PIIKind: String] = [:]
                if let map = try node.child("placeholders") {
                    for key in map.keys {
                        guard let kind = PIIKind(rawValue: key) else {
                            let hint = RecipeError.suggest(key, among: PIIKind.allCases.map(\.rawValue))
                                .map { " (did you mean '\($0)'?)" } ?? ""
                            throw RecipeError.invalidValue(at: map.location, message: "unknown PII kind '\(key)'\(hint)")
                        }
                        placeholders[kind] = try map.requireString(key)
                    }
                    try map.finish()
                }
                return .transform(PIIScrubber(kinds: kinds, placeholders: placeholders))
            }
        }
        r.register(
            "decontaminate", summary: "drop documents sharing an n-gram of normalized words with evaluation sets, "
                + "or cut the overlapping spans out (GPT-3 style)",
            parameters: [
                .init(name: "files", type: "[string]", defaultValue: "required",
                      help: "evaluation sets (JSONL, plain/.gz/.zst), relative to the recipe's folder"),
                .init(name: "fields", type: "[string]", defaultValue: "[text]",
                      help: "fields joined into the text of an evaluation record (dotted paths; arrays joined)"),
                .init(name: "id_field", type: "string", defaultValue: "id", help: "field naming an evaluation record"),
                .init(name: "n", type: "int", defaultValue: "13", help: "words per n-gram (1…64)"),
                .init(name: "mode", type: "string", defaultValue: "drop",
                      help: "drop (a filter, reason eval_overlap) or cut (a transform removing the spans)"),
                .init(name: "margin", type: "int", defaultValue: "200",
                      help: "cut: characters removed on each side of an overlap"),
                .init(name: "min_piece", type: "int", defaultValue: "200",
                      help: "cut: pieces shorter than this (characters) are removed too"),
                .init(name: "max_pieces", type: "int", defaultValue: "10",
                      help: "cut: a document split into more pieces is dropped (eval_overlap)"),
            ]
        ) { node in
            guard let files = try node.stringList("files"), !files.isEmpty else {
                throw RecipeError.missing(key: "files", at: node.location)
            }
            let folder = recipeFolder(node)
            let fields = try node.stringList("fields", default: ["text"])
            let idField = try node.string("id_field", default: "id")
            let n = try node.int("n", default: 13, in: 1...64)
            let mode = try node.choice("mode", default: DecontaminationMode.drop)
            let index: EvalIndex
            do {
                index = try EvalIndex.load(files: files.map { Recipe.join(folder, $0) }, fields: fields,
                                           idField: idField, n: n)
            } catch {
                throw RecipeError.invalidValue(at: node.location, message: "\(error)")
            }
            switch mode {
            case .drop:
                for key in ["margin", "min_piece", "max_pieces"] where try node.contains(key) {
                    throw RecipeError.invalidValue(at: node.location, message: "\(key) applies to mode: cut only")
                }
                return .filter(DecontaminationFilter(index: index))
            case .cut:
                let margin = try node.int("margin", default: 200, in: 0...)
                let minPiece = try node.int("min_piece", default: 200, in: 0...)
                let maxPieces = try node.int("max_pieces", default: 10, in: 1...)
                return .transform(DecontaminationCut(index: index, margin: margin, minPiece: minPiece,
                                                     maxPieces: maxPieces))
            }
        }
        r.register(
            "language", summary: "keep documents whose language (ptk langid model) is allowed and probable enough",
            parameters: [
                .init(name: "model", type: "string", defaultValue: "required",
                      help: "model file from `ptk langid train`, relative to the recipe's folder"),
                .init(name: "keep", type: "[string]", defaultValue: "any",
                      help: "allowed languages (codes as in the model); absent: any language the model knows"),
                .init(name: "min_confidence", type: "float", defaultValue: "0.65",
                      help: "least probability of the best language (datatrove's default)"),
            ]
        ) { node in
            let path = Recipe.join(recipeFolder(node), try node.requireString("model"))
            let model: LanguageModel
            do {
                model = try LanguageModel.load(path: path)
            } catch {
                throw RecipeError.invalidValue(at: node.location, message: "\(error)")
            }
            let keep = try node.stringList("keep", default: [])
            for language in keep where !model.languages.contains(language) {
                let hint = RecipeError.suggest(language, among: model.languages).map { " (did you mean '\($0)'?)" } ?? ""
                throw RecipeError.invalidValue(
                    at: node.location,
                    message: "the model knows no language '\(language)'\(hint); it knows "
                        + model.languages.joined(separator: ", "))
            }
            let minConfidence = try node.double("min_confidence", default: 0.65, in: 0...1)
            return .filter(LanguageFilter(model: model, keep: Set(keep), minConfidence: minConfidence))
        }
    }
}

private enum PIIMode: String, CaseIterable {
    case replace, drop
}

private enum DecontaminationMode: String, CaseIterable {
    case drop, cut
}

private func piiKinds(_ node: RecipeNode) throws -> Set<PIIKind> {
    guard let names = try node.stringList("kinds") else { return Set(PIIKind.allCases) }
    var kinds = Set<PIIKind>()
    for name in names {
        guard let kind = PIIKind(rawValue: name) else {
            let hint = RecipeError.suggest(name, among: PIIKind.allCases.map(\.rawValue))
                .map { " (did you mean '\($0)'?)" } ?? ""
            throw RecipeError.invalidValue(at: node.location, message: "unknown PII kind '\(name)'\(hint)")
        }
        kinds.insert(kind)
    }
    guard !kinds.isEmpty else { throw RecipeError.invalidValue(at: node.location, message: "kinds is empty") }
    return kinds
}

/// The folder of the recipe a step was read from ("" for recipes parsed from memory), for relative paths.
private func recipeFolder(_ node: RecipeNode) -> String {
    let file = node.location.file
    guard !file.hasPrefix("<"), let slash = file.lastIndex(of: "/") else { return "" }
    return String(file[..<slash])
}
