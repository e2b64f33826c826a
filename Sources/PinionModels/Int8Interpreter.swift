/// Runs `pinion-int8` models: the host's reference, and what Pinion's emulated boards compute.
/// Integer arithmetic only, so results are the same bits everywhere.
public enum Int8Interpreter {
    public static func run(_ model: Int8Model, input: [Int8]) throws(ModelError) -> [Int8] {
        guard input.count == model.inputCount else { throw .inputSize(expected: model.inputCount, got: input.count) }
        let shapes = try model.shapes()
        var values = input
        for (index, layer) in model.layers.enumerated() {
            let shape = shapes[index]
            switch layer {
            case .dense(let d): values = dense(d, values)
            case .conv2d(let c): values = conv2d(c, values, shape: shape)
            case .relu: for i in values.indices where values[i] < 0 { values[i] = 0 }
            case .maxPool(let p): values = maxPool(p, values, shape: shape)
            }
        }
        return values
    }

    /// The index of the largest output (the first, on ties): a classifier's answer.
    public static func argmax(_ output: [Int8]) -> Int {
        output.indices.max { output[$0] < output[$1] || (output[$0] == output[$1] && $0 > $1) } ?? 0
    }

    static func dense(_ d: Int8Layer.Dense, _ x: [Int8]) -> [Int8] {
        var out = [Int8](repeating: 0, count: d.outputs)
        d.weights.withUnsafeBufferPointer { w in
            x.withUnsafeBufferPointer { x in
                for o in 0..<d.outputs {
                    var acc = d.bias[o]
                    let row = o * d.inputs
                    for i in 0..<d.inputs { acc &+= Int32(w[row + i]) * Int32(x[i]) }
                    out[o] = d.requantisation.apply(acc)
                }
            }
        }
        return out
    }

    static func conv2d(_ c: Int8Layer.Conv2D, _ x: [Int8], shape: [Int]) -> [Int8] {
        let (h, w, inC) = (shape[0], shape[1], shape[2])
        let out = c.outputShape(shape)
        let (top, left) = c.padding(shape)
        var result = [Int8](repeating: 0, count: out[0] * out[1] * c.outputChannels)
        for oy in 0..<out[0] {
            for ox in 0..<out[1] {
                for oc in 0..<c.outputChannels {
                    var acc = c.bias[oc]
                    for ky in 0..<c.kernelHeight {
                        let iy = oy * c.stride + ky - top
                        guard iy >= 0 && iy < h else { continue }
                        for kx in 0..<c.kernelWidth {
                            let ix = ox * c.stride + kx - left
                            guard ix >= 0 && ix < w else { continue }
                            let weightBase = ((oc * c.kernelHeight + ky) * c.kernelWidth + kx) * inC
                            let inputBase = (iy * w + ix) * inC
                            for ic in 0..<inC { acc &+= Int32(c.weights[weightBase + ic]) * Int32(x[inputBase + ic]) }
                        }
                    }
                    result[(oy * out[1] + ox) * c.outputChannels + oc] = c.requantisation.apply(acc)
                }
            }
        }
        return result
    }

    static func maxPool(_ p: Int8Layer.MaxPool, _ x: [Int8], shape: [Int]) -> [Int8] {
        let (w, channels) = (shape[1], shape[2])
        let outH = (shape[0] - p.size) / p.stride + 1, outW = (shape[1] - p.size) / p.stride + 1
        var result = [Int8](repeating: .min, count: outH * outW * channels)
        for oy in 0..<outH {
            for ox in 0..<outW {
                for ch in 0..<channels {
                    var best = Int8.min
                    for ky in 0..<p.size {
                        for kx in 0..<p.size { best = max(best, x[((oy * p.stride + ky) * w + ox * p.stride + kx) * channels + ch]) }
                    }
                    result[(oy * outW + ox) * channels + ch] = best
                }
            }
        }
        return result
    }
}
