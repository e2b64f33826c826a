import Foundation
import PinionModels
import Testing

@Suite("pinion-int8 interpreter")
struct Int8InterpreterTests {
    @Test func digitClassifierMatchesTheTrainingScriptsIntegerReferenceBitForBit() throws {
        let model = try DigitsDataset.model()
        let split = try DigitsDataset.testSplit()
        #expect(split.count == 540)
        var correct = 0
        for image in split {
            let logits = try Int8Interpreter.run(model, input: image.input)
            #expect(logits == image.referenceLogits)
            if Int8Interpreter.argmax(logits) == image.label { correct += 1 }
        }
        // The script printed int8 accuracy 0.9759 on this split (527 of 540).
        #expect(correct == 527)
        #expect(model.macs == 64 * 32 + 32 * 10)
    }

    @Test func encodingRoundTripsTheFileByteForByte() throws {
        let bytes = try DigitsDataset.modelBytes()
        #expect(try Int8Model(bytes: bytes).encoded() == bytes)
    }

    @Test func conv2dValidAndSameAndMaxPoolByHand() throws {
        // 3×3×1 input 1…9, a 2×2 kernel of ones, bias 0, scale 1/2 (multiplier 2^30, shift 0).
        let half = Requantisation(multiplier: 1 << 30, shift: 0)
        let conv = Int8Layer.Conv2D(inputChannels: 1, outputChannels: 1, kernelHeight: 2, kernelWidth: 2, stride: 1, samePadding: false,
                                    weights: [1, 1, 1, 1], bias: [0], requantisation: half)
        let input: [Int8] = [1, 2, 3, 4, 5, 6, 7, 8, 9]
        let valid = try Int8Model(inputShape: [3, 3, 1], inputScale: 1, layers: [.conv2d(conv)])
        // Sums 12, 16, 24, 28 halved (round half up): 6, 8, 12, 14.
        #expect(try Int8Interpreter.run(valid, input: input) == [6, 8, 12, 14])
        var same = conv
        same.samePadding = true
        let padded = try Int8Model(inputShape: [3, 3, 1], inputScale: 1, layers: [.conv2d(same), .maxPool(.init(size: 2, stride: 1))])
        // "same" pads one row/column after: sums 12 16 9 / 24 28 15 / 15 17 9 → halves 6 8 5 / 12 14 8 / 8 9 5 (round half up).
        #expect(try padded.shapes().last == [2, 2, 1])
        #expect(try Int8Interpreter.run(padded, input: input) == [14, 14, 14, 14])
        let relu = try Int8Model(inputShape: [4], inputScale: 1, layers: [.relu])
        #expect(try Int8Interpreter.run(relu, input: [-5, 0, 3, -128]) == [0, 0, 3, 0])
    }

    @Test func requantisationSaturatesAndRoundsHalfUp() {
        let quarter = Requantisation(multiplier: 1 << 30, shift: 1)
        #expect(quarter.apply(6) == 2)     // 1.5 → 2
        #expect(quarter.apply(-6) == -1)   // −1.5 → −1 (half up)
        #expect(quarter.apply(10_000) == 127)
        #expect(quarter.apply(-10_000) == -128)
    }

    @Test func brokenModelsSayWhereAndWhy() throws {
        let bytes = try DigitsDataset.modelBytes()
        #expect(throws: ModelError.notAModel("no \"PNMD\" magic")) { try Int8Model(bytes: Array("GIF89a".utf8)) }
        #expect(throws: ModelError.truncated(at: "layer 0 weights", needed: 2048, available: 100)) {
            try Int8Model(bytes: Array(bytes.prefix(18 + 9 + 100)))   // header 18 bytes, dense header 9
        }
        #expect(throws: ModelError.invalid(at: "end", "1 bytes after the last layer")) { try Int8Model(bytes: bytes + [0]) }
        let model = try Int8Model(bytes: bytes)
        #expect(throws: ModelError.inputSize(expected: 64, got: 3)) { try Int8Interpreter.run(model, input: [1, 2, 3]) }
        #expect(throws: ModelError.self) {
            try Int8Model(inputShape: [10], inputScale: 1, layers: [.dense(.init(inputs: 64, outputs: 2, weights: [], bias: [], requantisation: .init(multiplier: 1 << 30, shift: 0)))])
        }
    }
}
