import CorpusCore
import Shards
