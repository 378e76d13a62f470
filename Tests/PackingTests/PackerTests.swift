import Packing
import Testing
