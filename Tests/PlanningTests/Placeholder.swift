import Planning
import Testing
