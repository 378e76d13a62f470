import Cleaning
import CorpusCore

extension StepRegistry {
    /// PII scrubbing, decontamination against evaluation sets, language identification.
    static func registerPrivacySteps(_ r: inout StepRegistry) {}
}
