/// A quantised model in Pinion's `pinion-int8` format (docs/model-format.md): int8 tensors,
/// layers dense, conv2d, ReLU and max-pool, int8 weights, int32 biases and fixed-point
/// requantisation, so every implementation computes the same bits.
public struct Int8Model: Sendable, Hashable {
    public static let magic: [UInt8] = Array("PNMD".utf8)
    public static let version: UInt16 = 1
    /// The format name boards advertise in INFO.
    public static let formatName = "pinion-int8"

    /// Input shape: `[n]` or `[height, width, channels]`.
    public var inputShape: [Int]
    /// Real value of one input step (`x_real = x_int8 × inputScale`).
    public var inputScale: Float
    public var layers: [Int8Layer]

    public init(inputShape: [Int], inputScale: Float, layers: [Int8Layer]) throws(ModelError) {
        self.inputShape = inputShape
        self.inputScale = inputScale
        self.layers = layers
        _ = try shapes()
    }

    public var inputCount: Int { inputShape.reduce(1, *) }

    /// The output element count.
    public var outputCount: Int { (try? shapes().last?.reduce(1, *)) ?? 0 }

    /// Multiply-accumulates per inference (what a board's speed is measured in).
    public var macs: Int {
        guard let shapes = try? shapes() else { return 0 }
        return zip(layers, shapes).reduce(0) { total, pair in
            let (layer, input) = pair
            switch layer {
            case .dense(let d): return total + d.inputs * d.outputs
            case .conv2d(let c):
                let out = c.outputShape(input)
                return total + out[0] * out[1] * c.outputChannels * c.kernelHeight * c.kernelWidth * input[2]
            case .relu, .maxPool: return total
            }
        }
    }

    /// The shape entering each layer, then the output shape; throws where a layer does not fit.
    public func shapes() throws(ModelError) -> [[Int]] {
        var shape = inputShape
        var shapes = [shape]
        for (index, layer) in layers.enumerated() {
            switch layer {
            case .dense(let d):
                guard shape.reduce(1, *) == d.inputs else {
                    throw .shapeMismatch(layer: index, "dense takes \(d.inputs) inputs, gets \(shape) = \(shape.reduce(1, *))")
                }
                shape = [d.outputs]
            case .conv2d(let c):
                guard shape.count == 3, shape[2] == c.inputChannels else {
                    throw .shapeMismatch(layer: index, "conv2d takes [h, w, \(c.inputChannels)], gets \(shape)")
                }
                shape = c.outputShape(shape)
                guard shape[0] > 0, shape[1] > 0 else { throw .shapeMismatch(layer: index, "conv2d output would be empty") }
            case .relu:
                break
            case .maxPool(let p):
                guard shape.count == 3, shape[0] >= p.size, shape[1] >= p.size else {
                    throw .shapeMismatch(layer: index, "max-pool \(p.size)×\(p.size) on \(shape)")
                }
                shape = [(shape[0] - p.size) / p.stride + 1, (shape[1] - p.size) / p.stride + 1, shape[2]]
            }
            shapes.append(shape)
        }
        return shapes
    }
}

/// One layer.
public enum Int8Layer: Sendable, Hashable {
    case dense(Dense)
    case conv2d(Conv2D)
    case relu
    case maxPool(MaxPool)

    /// `out = requantise(W·x + b)`; weights row-major `[outputs][inputs]`.
    public struct Dense: Sendable, Hashable {
        public var inputs: Int
        public var outputs: Int
        public var weights: [Int8]
        public var bias: [Int32]
        public var requantisation: Requantisation

        public init(inputs: Int, outputs: Int, weights: [Int8], bias: [Int32], requantisation: Requantisation) {
            self.inputs = inputs
            self.outputs = outputs
            self.weights = weights
            self.bias = bias
            self.requantisation = requantisation
        }
    }

    /// 2-D convolution over `[h, w, c]` (NHWC without N); weights `[out][kh][kw][in]`.
    public struct Conv2D: Sendable, Hashable {
        public var inputChannels: Int
        public var outputChannels: Int
        public var kernelHeight: Int
        public var kernelWidth: Int
        public var stride: Int
        /// Zero padding so that the output is `ceil(input / stride)` ("same"), or none ("valid").
        public var samePadding: Bool
        public var weights: [Int8]
        public var bias: [Int32]
        public var requantisation: Requantisation

        public init(inputChannels: Int, outputChannels: Int, kernelHeight: Int, kernelWidth: Int, stride: Int, samePadding: Bool,
                    weights: [Int8], bias: [Int32], requantisation: Requantisation) {
            self.inputChannels = inputChannels
            self.outputChannels = outputChannels
            self.kernelHeight = kernelHeight
            self.kernelWidth = kernelWidth
            self.stride = stride
            self.samePadding = samePadding
            self.weights = weights
            self.bias = bias
            self.requantisation = requantisation
        }

        func outputShape(_ input: [Int]) -> [Int] {
            if samePadding { return [(input[0] + stride - 1) / stride, (input[1] + stride - 1) / stride, outputChannels] }
            return [(input[0] - kernelHeight) / stride + 1, (input[1] - kernelWidth) / stride + 1, outputChannels]
        }

        /// Rows/columns of zeros before the input (TensorFlow's "same": the extra one goes after).
        func padding(_ input: [Int]) -> (top: Int, left: Int) {
            guard samePadding else { return (0, 0) }
            let out = outputShape(input)
            let padH = max((out[0] - 1) * stride + kernelHeight - input[0], 0)
            let padW = max((out[1] - 1) * stride + kernelWidth - input[1], 0)
            return (padH / 2, padW / 2)
        }
    }

    public struct MaxPool: Sendable, Hashable {
        public var size: Int
        public var stride: Int

        public init(size: Int, stride: Int) {
            self.size = size
            self.stride = stride
        }
    }
}

/// `int8 = clamp((acc × multiplier + 2^(30+shift)) >> (31+shift), −128, 127)`: a real scale
/// `multiplier / 2^(31+shift)` below 1, applied with integer arithmetic only (round half up).
public struct Requantisation: Sendable, Hashable {
    public var multiplier: Int32
    public var shift: UInt8

    public init(multiplier: Int32, shift: UInt8) {
        self.multiplier = multiplier
        self.shift = shift
    }

    @inline(__always)
    public func apply(_ accumulator: Int32) -> Int8 {
        let total = 31 + Int64(shift)
        let value = (Int64(accumulator) * Int64(multiplier) + (Int64(1) << (total - 1))) >> total
        return Int8(clamping: value)
    }
}

/// A model file or an input that cannot be used; says where.
public enum ModelError: Error, Hashable, Sendable, CustomStringConvertible {
    case notAModel(String)
    case truncated(at: String, needed: Int, available: Int)
    case invalid(at: String, String)
    case shapeMismatch(layer: Int, String)
    case inputSize(expected: Int, got: Int)

    public var description: String {
        switch self {
        case .notAModel(let why): "not a pinion-int8 model: \(why)"
        case .truncated(let at, let needed, let available): "model ends early at \(at): needs \(needed) bytes, \(available) left"
        case .invalid(let at, let why): "model \(at): \(why)"
        case .shapeMismatch(let layer, let why): "model layer \(layer): \(why)"
        case .inputSize(let expected, let got): "input has \(got) values, the model takes \(expected)"
        }
    }
}
