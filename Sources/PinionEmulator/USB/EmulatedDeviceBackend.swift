import Foundation
import PinionSystem
import PinionUSB
import Synchronization

/// The in-process path from `USBDevice` to an `EmulatedUSBDevice`: what libusb and the kernel
/// do for a real device, including interface claiming and timeouts that take their time.
final class EmulatedDeviceBackend: USBDeviceBackend {
    private let device: EmulatedUSBDevice
    private let claimed = Mutex<Set<UInt8>>([])
    private let closed = Atomic<Bool>(false)

    init(device: EmulatedUSBDevice) {
        self.device = device
    }

    private var name: String { device.descriptor.id.description }

    private func checkOpen(_ operation: String) throws(USBError) {
        if closed.load(ordering: .acquiring) {
            throw USBError(.noDevice, operation: operation, detail: "(device was closed)")
        }
        if !device.isConnected { throw USBError(.noDevice, operation: operation) }
    }

    func claimInterface(_ number: UInt8) throws {
        try checkOpen("claim interface \(number)")
        let exists = device.configurations.first { $0.value == device.activeConfiguration }?
            .interfaces.contains { $0.number == number } ?? false
        guard exists else { throw USBError(.notFound, operation: "claim interface \(number)") }
        claimed.withLock { _ = $0.insert(number) }
    }

    func releaseInterface(_ number: UInt8) throws {
        try checkOpen("release interface \(number)")
        guard claimed.withLock({ $0.remove(number) }) != nil else {
            throw USBError(.notFound, operation: "release interface \(number)", detail: "(not claimed)")
        }
    }

    func setAlternateSetting(interface: UInt8, alternate: UInt8) throws {
        try checkOpen("set interface")
        try outcome(device.control(USBSetupPacket(direction: .out, kind: .standard, recipient: .interface,
                                                  request: USBSetupPacket.StandardRequest.setInterface.rawValue,
                                                  value: UInt16(alternate), index: UInt16(interface))),
                    operation: "set interface \(interface) alt \(alternate)", timeout: .seconds(1))
    }

    func setConfiguration(_ value: UInt8) throws {
        try checkOpen("set configuration")
        try outcome(device.control(USBSetupPacket(direction: .out, kind: .standard, recipient: .device,
                                                  request: USBSetupPacket.StandardRequest.setConfiguration.rawValue,
                                                  value: UInt16(value))),
                    operation: "set configuration \(value)", timeout: .seconds(1))
    }

    func clearHalt(endpoint: UInt8) throws {
        try checkOpen("clear halt")
        try outcome(device.control(USBSetupPacket(direction: .out, kind: .standard, recipient: .endpoint,
                                                  request: USBSetupPacket.StandardRequest.clearFeature.rawValue,
                                                  value: 0, index: UInt16(endpoint))),
                    operation: "clear halt", timeout: .seconds(1))
    }

    func reset() throws {
        try checkOpen("reset")
        device.function?.busReset(device: device)
    }

    func perform(_ transfer: USBTransfer) throws -> USBTransferResult {
        try checkOpen(transfer.operation)
        let started = ContinuousClock.now
        switch transfer.pipe {
        case .control(let setup):
            let response = device.control(setup, data: transfer.outData)
            return try outcome(response, operation: transfer.operation, timeout: transfer.timeout, started: started, limit: Int(setup.length))
        case .bulk(let endpoint), .interrupt(let endpoint):
            if let interface = interfaceOwning(endpoint), !claimed.withLock({ $0.contains(interface) }) {
                // usbfs claims the interface implicitly on first use, as libusb relies on.
                claimed.withLock { _ = $0.insert(interface) }
            }
            let response = device.data(endpoint: endpoint, out: transfer.outData, inLength: transfer.inLength, timeout: transfer.timeout)
            return try outcome(response, operation: transfer.operation, timeout: transfer.timeout, started: started, limit: transfer.inLength)
        }
    }

    func close() {
        closed.store(true, ordering: .releasing)
    }

    private func interfaceOwning(_ endpoint: UInt8) -> UInt8? {
        device.configurations.first { $0.value == device.activeConfiguration }?.interfaces
            .first { $0.settings.contains { $0.endpoints.contains { $0.address == endpoint } } }?.number
    }

    @discardableResult
    private func outcome(_ response: EmulatedUSBResponse, operation: String, timeout: Duration,
                         started: ContinuousClock.Instant = .now, limit: Int = .max) throws(USBError) -> USBTransferResult {
        switch response {
        case .data(let bytes):
            if bytes.count > limit {
                throw USBError(.overflow, operation: operation, detail: "(\(bytes.count) bytes for a \(limit)-byte buffer)")
            }
            return .read(bytes)
        case .accepted(let count):
            return .wrote(count)
        case .timeout:
            // A NAKing device holds the host for the whole timeout; wait out whatever the function did not.
            let remaining = timeout - (ContinuousClock.now - started)
            if remaining > .zero {
                Thread.sleep(forTimeInterval: remaining.inSeconds)
            }
            throw USBError(.timeout, operation: operation, detail: "after \(timeout)")
        case .stall:
            throw USBError(.stall, operation: operation)
        case .disconnected:
            throw USBError(.noDevice, operation: operation)
        }
    }
}
