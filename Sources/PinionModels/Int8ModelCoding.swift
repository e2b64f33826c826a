extension Int8Model {
    /// Layer type codes in the file.
    enum LayerCode: UInt8 { case dense = 1, conv2d = 2, relu = 3, maxPool = 4 }

    /// Reads a model file; errors say which layer and field is wrong.
    public init(bytes: [UInt8]) throws(ModelError) {
        var r = ModelReader(bytes)
        guard bytes.count >= 4, Array(bytes[0..<4]) == Self.magic else { throw .notAModel("no \"PNMD\" magic") }
        r.skip(4)
        let version = try r.u16("version")
        guard version == Self.version else { throw .notAModel("version \(version), this Pinion reads \(Self.version)") }
        let count = Int(try r.u16("layer count"))
        let rank = Int(try r.u16("input rank"))
        guard rank == 1 || rank == 3 else { throw .invalid(at: "input", "rank \(rank): 1 ([n]) or 3 ([h, w, c])") }
        var shape: [Int] = []
        for index in 0..<rank { shape.append(Int(try r.u32("input dimension \(index)"))) }
        guard shape.allSatisfy({ $0 > 0 && $0 <= 1 << 20 }) else { throw .invalid(at: "input", "dimensions \(shape) out of range") }
        let scale = Float(bitPattern: try r.u32("input scale"))
        var layers: [Int8Layer] = []
        for index in 0..<count {
            let at = "layer \(index)"
            guard let code = LayerCode(rawValue: try r.u8("\(at) type")) else { throw .invalid(at: at, "unknown layer type") }
            switch code {
            case .dense:
                let inputs = Int(try r.u32("\(at) inputs")), outputs = Int(try r.u32("\(at) outputs"))
                guard inputs > 0, outputs > 0, inputs * outputs <= 1 << 26 else { throw .invalid(at: at, "dense \(inputs)×\(outputs) out of range") }
                let weights = try r.int8s(inputs * outputs, "\(at) weights")
                let bias = try r.int32s(outputs, "\(at) bias")
                layers.append(.dense(.init(inputs: inputs, outputs: outputs, weights: weights, bias: bias,
                                           requantisation: try r.requantisation(at))))
            case .conv2d:
                let inC = Int(try r.u32("\(at) input channels")), outC = Int(try r.u32("\(at) output channels"))
                let kh = Int(try r.u8("\(at) kernel height")), kw = Int(try r.u8("\(at) kernel width"))
                let stride = Int(try r.u8("\(at) stride")), padding = try r.u8("\(at) padding")
                guard inC > 0, outC > 0, kh > 0, kw > 0, stride > 0, padding <= 1, inC * outC * kh * kw <= 1 << 26 else {
                    throw .invalid(at: at, "conv2d parameters out of range")
                }
                let weights = try r.int8s(outC * kh * kw * inC, "\(at) weights")
                let bias = try r.int32s(outC, "\(at) bias")
                layers.append(.conv2d(.init(inputChannels: inC, outputChannels: outC, kernelHeight: kh, kernelWidth: kw, stride: stride,
                                            samePadding: padding == 1, weights: weights, bias: bias, requantisation: try r.requantisation(at))))
            case .relu:
                layers.append(.relu)
            case .maxPool:
                let size = Int(try r.u8("\(at) size")), stride = Int(try r.u8("\(at) stride"))
                guard size > 0, stride > 0 else { throw .invalid(at: at, "max-pool size and stride must be positive") }
                layers.append(.maxPool(.init(size: size, stride: stride)))
            }
        }
        guard r.remaining == 0 else { throw .invalid(at: "end", "\(r.remaining) bytes after the last layer") }
        try self.init(inputShape: shape, inputScale: scale, layers: layers)
    }

    /// The model's file bytes.
    public func encoded() -> [UInt8] {
        var b = Self.magic
        func u16(_ v: Int) { b += [UInt8(v & 0xFF), UInt8(v >> 8 & 0xFF)] }
        func u32(_ v: UInt32) { for s in stride(from: 0, to: 32, by: 8) { b.append(UInt8(truncatingIfNeeded: v >> s)) } }
        func requant(_ q: Requantisation) { u32(UInt32(bitPattern: q.multiplier)); b.append(q.shift) }
        u16(Int(Self.version)); u16(layers.count); u16(inputShape.count)
        for dimension in inputShape { u32(UInt32(dimension)) }
        u32(inputScale.bitPattern)
        for layer in layers {
            switch layer {
            case .dense(let d):
                b.append(LayerCode.dense.rawValue); u32(UInt32(d.inputs)); u32(UInt32(d.outputs))
                b += d.weights.map { UInt8(bitPattern: $0) }
                for value in d.bias { u32(UInt32(bitPattern: value)) }
                requant(d.requantisation)
            case .conv2d(let c):
                b.append(LayerCode.conv2d.rawValue); u32(UInt32(c.inputChannels)); u32(UInt32(c.outputChannels))
                b += [UInt8(c.kernelHeight), UInt8(c.kernelWidth), UInt8(c.stride), c.samePadding ? 1 : 0]
                b += c.weights.map { UInt8(bitPattern: $0) }
                for value in c.bias { u32(UInt32(bitPattern: value)) }
                requant(c.requantisation)
            case .relu:
                b.append(LayerCode.relu.rawValue)
            case .maxPool(let p):
                b += [LayerCode.maxPool.rawValue, UInt8(p.size), UInt8(p.stride)]
            }
        }
        return b
    }
}

/// Little-endian reads with errors that name the field.
struct ModelReader {
    private let bytes: [UInt8]
    private var offset = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    var remaining: Int { bytes.count - offset }

    mutating func skip(_ count: Int) { offset += count }

    private mutating func take(_ count: Int, _ field: String) throws(ModelError) -> ArraySlice<UInt8> {
        guard remaining >= count else { throw .truncated(at: field, needed: count, available: remaining) }
        defer { offset += count }
        return bytes[offset..<(offset + count)]
    }

    mutating func u8(_ field: String) throws(ModelError) -> UInt8 { try take(1, field).first! }

    mutating func u16(_ field: String) throws(ModelError) -> UInt16 {
        let s = try take(2, field)
        return UInt16(s[s.startIndex]) | UInt16(s[s.startIndex + 1]) << 8
    }

    mutating func u32(_ field: String) throws(ModelError) -> UInt32 {
        let s = try take(4, field)
        return (0..<4).reduce(UInt32(0)) { $0 | UInt32(s[s.startIndex + $1]) << (8 * $1) }
    }

    mutating func int8s(_ count: Int, _ field: String) throws(ModelError) -> [Int8] {
        try take(count, field).map { Int8(bitPattern: $0) }
    }

    mutating func int32s(_ count: Int, _ field: String) throws(ModelError) -> [Int32] {
        var values: [Int32] = []
        values.reserveCapacity(count)
        for index in 0..<count { values.append(Int32(bitPattern: try u32("\(field)[\(index)]"))) }
        return values
    }

    mutating func requantisation(_ at: String) throws(ModelError) -> Requantisation {
        let multiplier = Int32(bitPattern: try u32("\(at) multiplier"))
        let shift = try u8("\(at) shift")
        guard multiplier >= 1 << 30, shift < 32 else { throw .invalid(at: at, "requantisation multiplier \(multiplier) must be in [2^30, 2^31), shift \(shift) below 32") }
        return Requantisation(multiplier: multiplier, shift: shift)
    }
}
