/// The per-document stage protocols, and the corpus-level step that must see every document first (dedup).
///
/// They live in CorpusCore so that the algorithm targets (Cleaning, Selection) can conform without knowing the
/// pipeline; Pipeline wraps them into named stages, runs them and keeps the ledger.

/// What a filter or transform decided about one document.
public enum Decision: Sendable, Equatable {
    case keep
    /// Drop the document; `reason` is a stable snake_case name (`too_short`, `wrong_script`) that keys the
    /// ledger and the rejects file.
    case drop(reason: String, detail: String = "")
}

/// A stage that keeps or drops documents and never changes them.
///
/// One override point, `evaluate`. Filters are values shared by every worker thread, so they hold no
/// mutable state.
public protocol Filter: Sendable {
    func evaluate(_ document: Document) -> Decision
}

/// A stage that may change a document (PII scrubbing, whitespace normalization) and may drop it.
public protocol Transform: Sendable {
    /// Changes `document` in place; returns `.drop` to remove it (the rejects file keeps the original record).
    func apply(to document: inout Document) -> Decision
}

/// What a recipe step becomes for the per-document pass.
public enum StageKind: Sendable {
    case filter(any Filter)
    case transform(any Transform)
}

/// A step that decides about a document only after it has seen the whole corpus: exact and near-duplicate
/// removal, removal of lines repeated across the corpus.
///
/// The runner gives it a pre-pass: every input file is read, each document goes through the steps before
/// this one, and the documents that reach it are shown to an observer made for their file. After every file,
/// `conclude` gets the observers in input-file order and returns the per-document stage of the main pass,
/// which sees the same documents again (same text, same `Origin.key`). Observers of different files run on
/// different threads; one observer sees its file's documents in order, on one thread.
///
/// `folder` is the step's own scratch folder (`OUTPUT/corpus/<step>/`): spill files go there, so memory stays
/// flat as the corpus grows. Same input, same decisions, whatever the thread count.
public protocol CorpusStep: Sendable {
    /// An observer for the documents of input file `fileIndex`.
    func makeObserver(fileIndex: Int, folder: String) throws -> any CorpusObserver
    /// Called once, after `finish` of every observer; `observers[i]` saw file `i`.
    func conclude(_ observers: [any CorpusObserver], folder: String) throws -> StageKind
}

/// Sees the documents of one input file during a corpus step's pre-pass.
public protocol CorpusObserver: AnyObject {
    func observe(_ document: Document) throws
    /// Flushes what the observer keeps (to memory or to its spill files).
    func finish() throws
}
