/// The DFU functional descriptor (DFU 1.1 §4.1.3, type 0x21): what a DFU interface can do.
public struct DFUFunctionalDescriptor: Hashable, Sendable, Codable {
    /// bmAttributes bit 0: the device accepts DFU_DNLOAD.
    public var canDownload: Bool
    /// bmAttributes bit 1: the device answers DFU_UPLOAD.
    public var canUpload: Bool
    /// bmAttributes bit 2: the device stays on the bus through manifestation.
    public var manifestationTolerant: Bool
    /// bmAttributes bit 3: the device detaches itself after DFU_DETACH; no USB reset needed.
    public var willDetach: Bool
    /// wDetachTimeOut in milliseconds.
    public var detachTimeoutMilliseconds: UInt16
    /// wTransferSize: the largest block DNLOAD/UPLOAD accepts.
    public var transferSize: UInt16
    /// bcdDFUVersion (0x0110 for DFU 1.1, 0x011A for DfuSe); 0x0100 when the descriptor is the 7-byte DFU 1.0 form.
    public var dfuVersion: UInt16

    public init(canDownload: Bool = true, canUpload: Bool = false, manifestationTolerant: Bool = true, willDetach: Bool = false,
                detachTimeoutMilliseconds: UInt16 = 1000, transferSize: UInt16 = 4096, dfuVersion: UInt16 = 0x0110) {
        self.canDownload = canDownload
        self.canUpload = canUpload
        self.manifestationTolerant = manifestationTolerant
        self.willDetach = willDetach
        self.detachTimeoutMilliseconds = detachTimeoutMilliseconds
        self.transferSize = transferSize
        self.dfuVersion = dfuVersion
    }

    /// Parses the descriptor from its bytes (9 bytes for DFU 1.1, 7 for DFU 1.0).
    public init(bytes: [UInt8]) throws(USBDescriptorError) {
        guard bytes.count >= 7, Int(bytes[0]) >= 7, Int(bytes[0]) <= bytes.count else {
            throw USBDescriptorError(offset: 0, problem: "DFU functional descriptor is \(bytes.count) bytes, needs 7 or 9")
        }
        guard bytes[1] == USBDescriptorType.dfuFunctional.rawValue else {
            throw USBDescriptorError(offset: 1, problem: "expected DFU functional descriptor type 0x21, found 0x\(String(bytes[1], radix: 16))")
        }
        let attributes = bytes[2]
        canDownload = attributes & 0x01 != 0
        canUpload = attributes & 0x02 != 0
        manifestationTolerant = attributes & 0x04 != 0
        willDetach = attributes & 0x08 != 0
        detachTimeoutMilliseconds = UInt16(bytes[3]) | UInt16(bytes[4]) << 8
        transferSize = UInt16(bytes[5]) | UInt16(bytes[6]) << 8
        dfuVersion = bytes[0] >= 9 ? UInt16(bytes[7]) | UInt16(bytes[8]) << 8 : 0x0100
    }

    public var attributes: UInt8 {
        (canDownload ? 0x01 : 0) | (canUpload ? 0x02 : 0) | (manifestationTolerant ? 0x04 : 0) | (willDetach ? 0x08 : 0)
    }

    /// The 9-byte DFU 1.1 form.
    public var bytes: [UInt8] {
        [9, USBDescriptorType.dfuFunctional.rawValue, attributes,
         UInt8(truncatingIfNeeded: detachTimeoutMilliseconds), UInt8(detachTimeoutMilliseconds >> 8),
         UInt8(truncatingIfNeeded: transferSize), UInt8(transferSize >> 8),
         UInt8(truncatingIfNeeded: dfuVersion), UInt8(dfuVersion >> 8)]
    }

    /// As a descriptor to put in an interface setting's `extra`.
    public var rawDescriptor: USBRawDescriptor { USBRawDescriptor(type: USBDescriptorType.dfuFunctional.rawValue, bytes: bytes) }
}
