/// One transfer as it passes Pinion's chokepoint: what is asked of the device.
public struct USBTransfer: Sendable, CustomStringConvertible {
    /// The pipe the transfer uses.
    public enum Pipe: Sendable, Hashable {
        case control(USBSetupPacket)
        case bulk(endpoint: UInt8)
        case interrupt(endpoint: UInt8)
    }

    public var pipe: Pipe
    /// Data to send (OUT transfers and control writes).
    public var outData: [UInt8]
    /// Bytes to receive at most (IN transfers and control reads).
    public var inLength: Int
    public var timeout: Duration

    public init(pipe: Pipe, outData: [UInt8] = [], inLength: Int = 0, timeout: Duration) {
        self.pipe = pipe
        self.outData = outData
        self.inLength = inLength
        self.timeout = timeout
    }

    public var direction: USBDirection {
        switch pipe {
        case .control(let setup): setup.direction
        case .bulk(let endpoint), .interrupt(let endpoint): endpoint & 0x80 != 0 ? .in : .out
        }
    }

    /// A short name of the operation for errors and traces: `control`, `bulk IN 0x81`.
    public var operation: String {
        switch pipe {
        case .control: "control transfer"
        case .bulk(let endpoint): "bulk \(direction == .in ? "IN" : "OUT") 0x\(String(endpoint, radix: 16))"
        case .interrupt(let endpoint): "interrupt \(direction == .in ? "IN" : "OUT") 0x\(String(endpoint, radix: 16))"
        }
    }

    public var description: String {
        switch pipe {
        case .control(let setup): "control \(setup)"
        default: direction == .in ? "\(operation) \(inLength) bytes" : "\(operation) \(outData.count) bytes"
        }
    }
}

/// What came back: the bytes read (IN) or the count written (OUT).
public struct USBTransferResult: Sendable, Equatable {
    public var data: [UInt8]
    public var transferred: Int

    public init(data: [UInt8] = [], transferred: Int) {
        self.data = data
        self.transferred = transferred
    }

    public static func read(_ data: [UInt8]) -> USBTransferResult { USBTransferResult(data: data, transferred: data.count) }
    public static func wrote(_ count: Int) -> USBTransferResult { USBTransferResult(transferred: count) }
}
