import CorpusCore
@testable import Embeddings
import Foundation
import Testing

/// The eight-lane kernels of the encoder against their plain forms (libm, Double sums).
@Suite("Encoder kernels")
struct VectorKernelTests {
    typealias V = SIMD8<Float>

    /// Floats between `a` and `b` (ulps), as ordered integers.
    func ulps(_ a: Float, _ b: Float) -> Int {
        func ordered(_ x: Float) -> Int {
            let bits = Int(Int32(bitPattern: x.bitPattern))
            return bits < 0 ? Int(Int32.min) - bits : bits
        }
        return abs(ordered(a) - ordered(b))
    }

    @Test("exp is within 2 ulp of libm's expf on [−87, 88], and underflows to a tiny non-negative value")
    func expMatches() {
        var worst = 0
        var x: Float = -87
        while x < 88 {
            var lanes = V.zero
            for lane in 0..<8 { lanes[lane] = x + Float(lane) * 0.001 }
            let fast = VectorKernels.exp(lanes)
            for lane in 0..<8 { worst = max(worst, ulps(fast[lane], expf(lanes[lane]))) }
            x += 0.0173
        }
        #expect(worst <= 2)
        let low = VectorKernels.exp(V(repeating: -1000))
        #expect(low[0] >= 0 && low[0] < 1e-37)
        #expect(VectorKernels.exp(V(repeating: -.infinity))[3] < 1e-37)
        #expect(VectorKernels.exp(.zero)[0] == 1)
    }

    @Test("erf stays within 1e-6 of libm's erff (A&S 7.1.26: 1.5e-7, plus Float rounding)")
    func erfMatches() {
        var worst: Float = 0
        for i in stride(from: -80_000, through: 80_000, by: 8) {
            var lanes = V.zero
            for lane in 0..<8 { lanes[lane] = Float(i + lane) / 10_000 }
            let fast = VectorKernels.erf(lanes)
            for lane in 0..<8 { worst = max(worst, abs(fast[lane] - erff(lanes[lane]))) }
        }
        #expect(worst <= 1e-6)
    }

    func randomRow(_ count: Int, _ rng: inout SeededRandom, scale: Float) -> [Float] {
        (0..<count).map { _ in (Float(rng.next() % 2_000_001) / 1_000_000 - 1) * scale }
    }

    @Test("softmax, GELU and LayerNorm equal the plain forms at every length 1–70 (tails included)")
    func rowKernels() {
        var rng = SeededRandom(seed: 7, stream: "kernels")
        for count in 1...70 {
            // softmax: scores as attention gives them, with a −∞-like gap
            var scores = randomRow(count, &rng, scale: 12)
            if count > 3 { scores[2] = -80 }
            var expected = scores
            VectorKernels.softmaxReference(&expected)
            scores.withUnsafeMutableBufferPointer { p in
                if let base = p.baseAddress { VectorKernels.softmax(base, count: count) }
            }
            for j in 0..<count { #expect(abs(scores[j] - expected[j]) <= 2e-6 * max(expected[j], 1e-3)) }
            #expect(abs(scores.reduce(0, +) - 1) < 1e-5)

            var values = randomRow(count, &rng, scale: 6)
            let plain = values.map(VectorKernels.geluReference)
            values.withUnsafeMutableBufferPointer { p in
                if let base = p.baseAddress { VectorKernels.gelu(base, count: count) }
            }
            for j in 0..<count { #expect(abs(values[j] - plain[j]) <= 2e-6 * max(abs(plain[j]), 1)) }

            var row = randomRow(count, &rng, scale: 3).map { $0 + 0.5 }
            let weight = randomRow(count, &rng, scale: 2), bias = randomRow(count, &rng, scale: 1)
            var reference = row
            VectorKernels.layerNormReference(&reference, weight: weight, bias: bias, eps: 1e-12)
            row.withUnsafeMutableBufferPointer { p in
                guard let base = p.baseAddress else { return }
                VectorKernels.layerNorm(base, count: count, weight: weight, bias: bias, eps: 1e-12)
            }
            for j in 0..<count { #expect(abs(row[j] - reference[j]) <= 1e-4 * max(abs(reference[j]), 1)) }
        }
    }
}
