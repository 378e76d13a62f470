import Cleaning
import CorpusCore

extension StepRegistry {
    /// Quality filters: Gopher quality and repetition, C4, FineWeb, keyword and URL lists, token bounds.
    static func registerQualitySteps(_ r: inout StepRegistry) {}
}
