import Cleaning
import CorpusCore

extension StepRegistry {
    /// Dedup: exact, MinHash-LSH, repeated lines (corpus steps with a pre-pass).
    static func registerDedupSteps(_ r: inout StepRegistry) {}
}
