import ArgumentParser
import CorpusIO
import Foundation
import Pipeline

struct BenchFilters: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "filters",
        abstract: "Quality filters (gopher_quality, gopher_repetition, c4, c4_badwords, fineweb) against datatrove "
            + "0.10.1, one thread each (needs the reference venv).")

    @Option(help: "Size of the document set, in MB of real text.")
    var megabytes = 2.0

    @Option(help: "Multilingual corpus folder (default $PTK_CORPUS_DIR, else ~/.cache/ptk/multilingual-corpus).")
    var corpus: String?

    @OptionGroup var reference: BenchReferenceOptions

    func run() throws {
        let folder = corpus ?? MultilingualCorpus.folder
        try reference.printTable { progress in
            try FilterBenchmark(python: reference.python, corpus: folder, megabytes: megabytes,
                                folder: reference.folder).run(progress: progress)
        }
    }
}
