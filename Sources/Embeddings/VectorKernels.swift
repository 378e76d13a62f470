import Foundation

/// The encoder's element-wise work (softmax, GELU, LayerNorm) on eight floats at a time.
///
/// Notes (measured on the shared 2-core AMD EPYC, all-MiniLM-L6-v2, 256-token documents):
/// - OpenBLAS sgemm runs near the core's peak and took 49% of the time; the rest was scalar loops: libm `expf`
///   in every attention score (4.7 M per document), `erf` in every GELU (2.4 M), LayerNorm's reductions. Swift
///   does not vectorize a float reduction (it may not reassociate the sum) nor a loop that calls libm, so these
///   ran one float at a time.
/// - `exp` below is the Cephes single-precision scheme on `SIMD8<Float>`: n = round(x·log₂e) by the 1.5·2²³
///   magic-number trick (no SSE4.1 `roundps` in the baseline x86-64 target Swift compiles for), a Cody–Waite
///   split of ln 2 for the reduced argument, a degree-6 polynomial, and 2ⁿ built in the exponent bits. Relative
///   error ≤ 2 ulp on [−87, 88] (`VectorKernelTests` against libm); inputs below −87.3 give ≈ 1e-38 instead of 0,
///   which no softmax or GELU result can tell apart.
/// - Reductions keep eight partial sums and add them at the end: a different rounding order from a scalar loop,
///   by at most a few ulp on 384 floats.
/// The scalar `…Reference` functions are the plain forms the kernels are tested against.
enum VectorKernels {
    typealias V = SIMD8<Float>

    @inline(__always) static func load(_ p: UnsafePointer<Float>) -> V {
        UnsafeRawPointer(p).loadUnaligned(as: V.self)
    }

    @inline(__always) static func store(_ v: V, _ p: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(p).storeBytes(of: v, as: V.self)
    }

    /// Loads `count` < 8 floats, the other lanes `fill`.
    @inline(__always) static func loadPartial(_ p: UnsafePointer<Float>, count: Int, fill: Float) -> V {
        var v = V(repeating: fill)
        for j in 0..<count { v[j] = p[j] }
        return v
    }

    @inline(__always) static func storePartial(_ v: V, _ p: UnsafeMutablePointer<Float>, count: Int) {
        for j in 0..<count { p[j] = v[j] }
    }

    /// The standard library's `pointwiseMin`/`pointwiseMax` (and `clamped`, built on them) were not specialized
    /// here: a generic call per vector, 11% of the encoder's time. A compare and a blend are.
    @inline(__always) static func maximum(_ a: V, _ b: V) -> V { a.replacing(with: b, where: b .> a) }
    @inline(__always) static func minimum(_ a: V, _ b: V) -> V { a.replacing(with: b, where: b .< a) }

    /// eˣ lane by lane (see the notes above).
    @inline(__always) static func exp(_ input: V) -> V {
        let x = maximum(minimum(input, V(repeating: 88.37626)), V(repeating: -87.33654))
        let magic = V(repeating: 12_582_912)  // 1.5 · 2²³: adding it rounds to an integer in the low mantissa bits
        let shifted = x * 1.44269504088896341 + magic
        let n = shifted - magic
        let nBits = unsafeBitCast(shifted, to: SIMD8<Int32>.self) &- unsafeBitCast(magic, to: SIMD8<Int32>.self)
        var r = x - n * 0.693359375
        r = r - n * -2.12194440e-4
        let r2 = r * r
        var p = V(repeating: 1.9875691500e-4)
        p = p * r + 1.3981999507e-3
        p = p * r + 8.3334519073e-3
        p = p * r + 4.1665795894e-2
        p = p * r + 1.6666665459e-1
        p = p * r + 5.0000001201e-1
        let y = p * r2 + r + V(repeating: 1)
        let scale = unsafeBitCast((nBits &+ 127) &<< 23, to: V.self)
        return y * scale
    }

    /// erf lane by lane: Abramowitz & Stegun 7.1.26 (absolute error ≤ 1.5e-7).
    @inline(__always) static func erf(_ x: V) -> V {
        let a = unsafeBitCast(unsafeBitCast(x, to: SIMD8<UInt32>.self) & 0x7FFF_FFFF, to: V.self)
        let one = V(repeating: 1)
        let t = one / (a * 0.3275911 + one)
        var poly = V(repeating: 1.061405429)
        poly = poly * t - 1.453152027
        poly = poly * t + 1.421413741
        poly = poly * t - 0.284496736
        poly = poly * t + 0.254829592
        poly = poly * t
        let y = one - poly * exp(-(a * a))
        return y.replacing(with: -y, where: x .< 0)
    }

    /// Softmax of one row in place.
    static func softmax(_ row: UnsafeMutablePointer<Float>, count: Int) {
        let whole = count & ~7, rest = count - whole
        var top = V(repeating: -.infinity)
        var j = 0
        while j < whole {
            top = maximum(top, load(row + j))
            j += 8
        }
        if rest > 0 { top = maximum(top, loadPartial(row + whole, count: rest, fill: -.infinity)) }
        let largest = V(repeating: top.max())
        var sums = V.zero
        j = 0
        while j < whole {
            let e = exp(load(row + j) - largest)
            store(e, row + j)
            sums += e
            j += 8
        }
        if rest > 0 {
            var e = exp(loadPartial(row + whole, count: rest, fill: 0) - largest)
            for lane in rest..<8 { e[lane] = 0 }
            storePartial(e, row + whole, count: rest)
            sums += e
        }
        let inverse = V(repeating: 1 / sums.sum())
        j = 0
        while j < whole {
            store(load(row + j) * inverse, row + j)
            j += 8
        }
        for k in whole..<count { row[k] *= inverse[0] }
    }

    /// GELU with erf, in place: 0.5 · x · (1 + erf(x / √2)).
    static func gelu(_ values: UnsafeMutablePointer<Float>, count: Int) {
        let whole = count & ~7, rest = count - whole
        @inline(__always) func f(_ x: V) -> V { 0.5 * x * (V(repeating: 1) + erf(x * 0.70710678118654752)) }
        var j = 0
        while j < whole {
            store(f(load(values + j)), values + j)
            j += 8
        }
        if rest > 0 { storePartial(f(loadPartial(values + whole, count: rest, fill: 0)), values + whole, count: rest) }
    }

    /// LayerNorm of one row of `count` floats in place: (v − mean) / √(variance + eps) · weight + bias.
    static func layerNorm(_ v: UnsafeMutablePointer<Float>, count: Int, weight: UnsafePointer<Float>,
                          bias: UnsafePointer<Float>, eps: Float)
    {
        let whole = count & ~7
        var sums = V.zero
        var j = 0
        while j < whole {
            sums += load(v + j)
            j += 8
        }
        var total = sums.sum()
        for k in whole..<count { total += v[k] }
        let mean = total / Float(count)
        let means = V(repeating: mean)
        var squares = V.zero
        j = 0
        while j < whole {
            let c = load(v + j) - means
            squares += c * c
            j += 8
        }
        var variance = squares.sum()
        for k in whole..<count { variance += (v[k] - mean) * (v[k] - mean) }
        variance /= Float(count)
        let inverse = 1 / (variance + eps).squareRoot()
        let inverses = V(repeating: inverse)
        j = 0
        while j < whole {
            store((load(v + j) - means) * inverses * load(weight + j) + load(bias + j), v + j)
            j += 8
        }
        for k in whole..<count { v[k] = (v[k] - mean) * inverse * weight[k] + bias[k] }
    }

    // MARK: - The plain forms

    static func softmaxReference(_ row: inout [Float]) {
        let largest = row.max() ?? 0
        var sum: Float = 0
        for j in row.indices {
            row[j] = expf(row[j] - largest)
            sum += row[j]
        }
        for j in row.indices { row[j] /= sum }
    }

    static func geluReference(_ x: Float) -> Float { 0.5 * x * (1 + erff(x * 0.70710678118654752)) }

    static func layerNormReference(_ v: inout [Float], weight: [Float], bias: [Float], eps: Float) {
        let n = Double(v.count)
        let mean = v.reduce(0.0) { $0 + Double($1) } / n
        let variance = v.reduce(0.0) { $0 + (Double($1) - mean) * (Double($1) - mean) } / n
        let inverse = 1 / (variance + Double(eps)).squareRoot()
        for j in v.indices { v[j] = Float((Double(v[j]) - mean) * inverse) * weight[j] + bias[j] }
    }
}
