/// Message types of the board protocol. Requests from the host have the high bit clear; the
/// board's replies have it set (`ERROR` is 0xFF).
public enum BoardMessageType: UInt8, Sendable, CaseIterable {
    case hello = 0x01, loadModel = 0x02, modelChunk = 0x03, unloadModel = 0x05, infer = 0x06
    case telemetryRequest = 0x07, reset = 0x08, detachToDFU = 0x09
    case ack = 0x80, info = 0x81, result = 0x86, telemetry = 0x87, error = 0xFF
}

extension BoardMessageType: CustomStringConvertible {
    /// The case's name, as Swift would print it, without the reflection that printing an enum
    /// costs (each request names its type, for its timeout and error messages).
    public var description: String {
        switch self {
        case .hello: "hello"
        case .loadModel: "loadModel"
        case .modelChunk: "modelChunk"
        case .unloadModel: "unloadModel"
        case .infer: "infer"
        case .telemetryRequest: "telemetryRequest"
        case .reset: "reset"
        case .detachToDFU: "detachToDFU"
        case .ack: "ack"
        case .info: "info"
        case .result: "result"
        case .telemetry: "telemetry"
        case .error: "error"
        }
    }
}

/// What a board says about itself in reply to HELLO.
public struct BoardInfo: Sendable, Hashable, Codable {
    public var protocolVersion: UInt8
    public var firmwareVersion: String
    public var serial: String
    public var modelFormats: [String]
    public var memoryBytes: UInt64
    public var macsPerSecond: UInt64
    /// INFER requests the board accepts before it answers BUSY.
    public var maxInFlight: UInt16
    public var loadedModels: [String]

    public init(protocolVersion: UInt8 = BoardFrame.version, firmwareVersion: String, serial: String, modelFormats: [String],
                memoryBytes: UInt64, macsPerSecond: UInt64, maxInFlight: UInt16, loadedModels: [String] = []) {
        self.protocolVersion = protocolVersion
        self.firmwareVersion = firmwareVersion
        self.serial = serial
        self.modelFormats = modelFormats
        self.memoryBytes = memoryBytes
        self.macsPerSecond = macsPerSecond
        self.maxInFlight = maxInFlight
        self.loadedModels = loadedModels
    }
}

/// Why a board refused a request.
public enum BoardErrorCode: UInt16, Sendable, CaseIterable {
    case badRequest = 1, unknownModel = 2, outOfMemory = 3, checksumMismatch = 4, busy = 5
    case badInput = 6, internalError = 7, unsupported = 8, malformedFrame = 9
}

/// One message of the board protocol, decoded. See docs/board-protocol.md for each payload.
public enum BoardMessage: Sendable, Hashable {
    case hello(protocolVersion: UInt8)
    case loadModel(modelID: String, size: UInt32, sha256: [UInt8])
    case modelChunk(modelID: String, offset: UInt32, bytes: [UInt8])
    case unloadModel(modelID: String)
    case infer(modelID: String, input: [UInt8])
    case telemetryRequest
    case reset
    case detachToDFU
    case ack
    case info(BoardInfo)
    case result(output: [UInt8], computeMicroseconds: UInt32)
    case telemetry(celsius: Double, watts: Double)
    case error(BoardErrorCode, message: String)

    public var type: BoardMessageType {
        switch self {
        case .hello: .hello
        case .loadModel: .loadModel
        case .modelChunk: .modelChunk
        case .unloadModel: .unloadModel
        case .infer: .infer
        case .telemetryRequest: .telemetryRequest
        case .reset: .reset
        case .detachToDFU: .detachToDFU
        case .ack: .ack
        case .info: .info
        case .result: .result
        case .telemetry: .telemetry
        case .error: .error
        }
    }

    /// The message as a frame with `requestID`.
    public func frame(requestID: UInt32) -> BoardFrame {
        var w = ByteWriter()
        switch self {
        case .hello(let version): w.u8(version)
        case .loadModel(let id, let size, let sha256): w.string(id); w.u32(size); w.blob(sha256)
        case .modelChunk(let id, let offset, let bytes): w.string(id); w.u32(offset); w.rest(bytes)
        case .unloadModel(let id): w.string(id)
        case .infer(let id, let input): w.string(id); w.rest(input)
        case .telemetryRequest, .reset, .detachToDFU, .ack: break
        case .info(let info):
            w.u8(info.protocolVersion); w.string(info.firmwareVersion); w.string(info.serial); w.strings(info.modelFormats)
            w.u64(info.memoryBytes); w.u64(info.macsPerSecond); w.u16(info.maxInFlight); w.strings(info.loadedModels)
        case .result(let output, let micros): w.u32(micros); w.rest(output)
        case .telemetry(let celsius, let watts): w.f64(celsius); w.f64(watts)
        case .error(let code, let message): w.u16(code.rawValue); w.string(message)
        }
        return BoardFrame(type, requestID: requestID, payload: w.bytes)
    }

    /// Decodes a frame's payload; a payload that does not fit its type throws, naming the field.
    public init(frame: BoardFrame) throws(BoardMessageError) {
        guard let type = BoardMessageType(rawValue: frame.type) else { throw .unknownType(frame.type) }
        var r = ByteReader(frame.payload)
        switch type {
        case .hello: self = .hello(protocolVersion: try r.u8("hello.version"))
        case .loadModel:
            let id = try r.string("load.model"), size = try r.u32("load.size"), sha = try r.blob("load.sha256")
            guard sha.count == 32 else { throw .invalid(field: "load.sha256", "\(sha.count) bytes, SHA-256 has 32") }
            self = .loadModel(modelID: id, size: size, sha256: sha)
        case .modelChunk:
            let id = try r.string("chunk.model"), offset = try r.u32("chunk.offset")
            self = .modelChunk(modelID: id, offset: offset, bytes: r.rest())
        case .unloadModel: self = .unloadModel(modelID: try r.string("unload.model"))
        case .infer:
            let id = try r.string("infer.model")
            self = .infer(modelID: id, input: r.rest())
        case .telemetryRequest: self = .telemetryRequest
        case .reset: self = .reset
        case .detachToDFU: self = .detachToDFU
        case .ack: self = .ack
        case .info:
            self = .info(BoardInfo(protocolVersion: try r.u8("info.protocol"), firmwareVersion: try r.string("info.firmware"),
                                   serial: try r.string("info.serial"), modelFormats: try r.strings("info.formats"),
                                   memoryBytes: try r.u64("info.memory"), macsPerSecond: try r.u64("info.macs"),
                                   maxInFlight: try r.u16("info.in_flight"), loadedModels: try r.strings("info.loaded")))
        case .result:
            let micros = try r.u32("result.compute_us")
            self = .result(output: r.rest(), computeMicroseconds: micros)
        case .telemetry: self = .telemetry(celsius: try r.f64("telemetry.celsius"), watts: try r.f64("telemetry.watts"))
        case .error:
            let raw = try r.u16("error.code")
            let message = try r.string("error.message")
            self = .error(BoardErrorCode(rawValue: raw) ?? .internalError, message: BoardErrorCode(rawValue: raw) == nil ? "code \(raw): \(message)" : message)
        }
        try r.finish(type.description)
    }
}

/// A frame whose payload does not decode.
public enum BoardMessageError: Error, Hashable, Sendable, CustomStringConvertible {
    case unknownType(UInt8)
    case truncated(field: String, needed: Int, available: Int)
    case invalid(field: String, String)

    public var description: String {
        switch self {
        case .unknownType(let type): "unknown message type 0x\(String(type, radix: 16))"
        case .truncated(let field, let needed, let available): "\(field): payload ends early (needs \(needed) bytes, \(available) left)"
        case .invalid(let field, let why): "\(field): \(why)"
        }
    }
}
