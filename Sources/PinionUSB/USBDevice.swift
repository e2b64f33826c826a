import Synchronization

/// An open USB device. Every transfer, whatever the backend, passes through `transfer(_:)`:
/// the one place where taps trace it, count errors and inject faults.
///
/// Thread-safe: transfers may be issued from any task; the backend serialises what it must.
public final class USBDevice: Sendable {
    public let info: USBDeviceInfo
    private let backend: any USBDeviceBackend
    private let taps: [any USBTap]
    private let counterState = Mutex(USBTransferCounters())

    public init(info: USBDeviceInfo, backend: any USBDeviceBackend, taps: [any USBTap] = []) {
        self.info = info
        self.backend = backend
        self.taps = taps
    }

    /// `1-1.2 (1209:0002)`: how errors name this device.
    public var name: String { "\(info.location.path) (\(info.id))" }

    /// Transfers and errors so far, per kind, for diagnostics.
    public var counters: USBTransferCounters { counterState.withLock { $0 } }

    /// The chokepoint: performs one transfer and returns what came back.
    public func transfer(_ transfer: USBTransfer) throws(USBError) -> USBTransferResult {
        let outcome: Result<USBTransferResult, USBError>
        do {
            for tap in taps { try tap.willPerform(transfer, on: info) }
            outcome = .success(try backend.perform(transfer))
        } catch let error as USBError {
            outcome = .failure(error.on(name))
        } catch {
            outcome = .failure(USBError(.other, operation: transfer.operation, device: name, detail: "\(error)"))
        }
        for tap in taps { tap.didPerform(transfer, on: info, outcome: outcome) }
        counterState.withLock { $0.record(outcome) }
        return try outcome.get()
    }

    /// A control transfer that reads up to `setup.length` bytes.
    public func controlIn(_ setup: USBSetupPacket, timeout: Duration = .seconds(1)) throws(USBError) -> [UInt8] {
        try transfer(USBTransfer(pipe: .control(setup), inLength: Int(setup.length), timeout: timeout)).data
    }

    /// A control transfer that writes `data` (wLength is set from it).
    @discardableResult
    public func controlOut(_ setup: USBSetupPacket, data: [UInt8] = [], timeout: Duration = .seconds(1)) throws(USBError) -> Int {
        var setup = setup
        setup.length = UInt16(data.count)
        return try transfer(USBTransfer(pipe: .control(setup), outData: data, timeout: timeout)).transferred
    }

    @discardableResult
    public func bulkWrite(endpoint: UInt8, _ data: [UInt8], timeout: Duration = .seconds(1)) throws(USBError) -> Int {
        try transfer(USBTransfer(pipe: .bulk(endpoint: endpoint & 0x7F), outData: data, timeout: timeout)).transferred
    }

    public func bulkRead(endpoint: UInt8, length: Int, timeout: Duration = .seconds(1)) throws(USBError) -> [UInt8] {
        try transfer(USBTransfer(pipe: .bulk(endpoint: endpoint | 0x80), inLength: length, timeout: timeout)).data
    }

    public func interruptRead(endpoint: UInt8, length: Int, timeout: Duration = .seconds(1)) throws(USBError) -> [UInt8] {
        try transfer(USBTransfer(pipe: .interrupt(endpoint: endpoint | 0x80), inLength: length, timeout: timeout)).data
    }

    /// Reads string descriptor `index` in the device's first language; nil for index 0 (no string).
    public func readString(index: UInt8, timeout: Duration = .seconds(1)) throws(USBError) -> String? {
        guard index != 0 else { return nil }
        let languages = try controlIn(.getDescriptor(.string, index: 0, length: 255), timeout: timeout)
        let language = (try? USBDescriptorParser.languages(languages))?.first ?? 0x0409
        let bytes = try controlIn(.getDescriptor(.string, index: index, language: language, length: 255), timeout: timeout)
        do {
            return try USBDescriptorParser.string(bytes)
        } catch {
            throw USBError(.io, operation: "read string descriptor \(index)", device: name, detail: error.description)
        }
    }

    /// Manufacturer, product and serial strings.
    public func readStrings() throws(USBError) -> USBDeviceStrings {
        let d = info.descriptor
        return USBDeviceStrings(manufacturer: try readString(index: d.manufacturerIndex),
                                product: try readString(index: d.productIndex),
                                serialNumber: try readString(index: d.serialNumberIndex))
    }

    public func claimInterface(_ number: UInt8) throws(USBError) {
        try backendCall("claim interface \(number)") { try backend.claimInterface(number) }
    }

    public func releaseInterface(_ number: UInt8) throws(USBError) {
        try backendCall("release interface \(number)") { try backend.releaseInterface(number) }
    }

    public func setAlternateSetting(interface: UInt8, alternate: UInt8) throws(USBError) {
        try backendCall("set interface \(interface) alt \(alternate)") {
            try backend.setAlternateSetting(interface: interface, alternate: alternate)
        }
    }

    public func setConfiguration(_ value: UInt8) throws(USBError) {
        try backendCall("set configuration \(value)") { try backend.setConfiguration(value) }
    }

    public func clearHalt(endpoint: UInt8) throws(USBError) {
        try backendCall("clear halt 0x\(String(endpoint, radix: 16))") { try backend.clearHalt(endpoint: endpoint) }
    }

    public func reset() throws(USBError) {
        try backendCall("reset") { try backend.reset() }
    }

    public func close() { backend.close() }

    deinit { backend.close() }

    private func backendCall(_ operation: String, _ body: () throws -> Void) throws(USBError) {
        do {
            try body()
        } catch let error as USBError {
            throw error.on(name)
        } catch {
            throw USBError(.other, operation: operation, device: name, detail: "\(error)")
        }
    }
}

/// Counts of transfers and of failures by kind, kept per open device.
public struct USBTransferCounters: Sendable, Hashable, Codable {
    public var transfers = 0
    public var timeouts = 0
    public var stalls = 0
    public var disconnects = 0
    public var otherErrors = 0

    public init() {}

    public var errors: Int { timeouts + stalls + disconnects + otherErrors }

    mutating func record(_ outcome: Result<USBTransferResult, USBError>) {
        transfers += 1
        guard case .failure(let error) = outcome else { return }
        switch error.code {
        case .timeout: timeouts += 1
        case .stall: stalls += 1
        case .noDevice: disconnects += 1
        default: otherErrors += 1
        }
    }
}
