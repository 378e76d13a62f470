/// Cleaning: the filters, transforms and corpus steps that decide what of a corpus is worth training on.
///
/// - `Filters/`: Gopher quality and repetition, C4, FineWeb, keyword and URL lists, language identification.
/// - `Dedup/`: exact (normalized text), MinHash-LSH near duplicates, lines repeated across the corpus.
/// - `PII/`: typed placeholders for e-mail addresses, phone numbers, IPs, card numbers and keys.
/// - `Decontamination/`: n-gram overlap with evaluation sets.
///
/// Every stage conforms to `Filter`, `Transform` or `CorpusStep` (CorpusCore); Pipeline's step registry
/// reads their parameters from recipes. Filters never change the text; every drop carries a named reason.
public enum Cleaning {}
