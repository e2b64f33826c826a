import Dispatch
import Foundation
import PinionUSB
import Synchronization

/// Serves the devices of an `EmulatedUSBHost` over USB/IP, so a real kernel (vhci-hcd) and
/// real tools (libusb, lsusb, dfu-util) talk to Pinion's emulated boards.
///
/// A device that leaves the emulated host (unplug, DFU re-enumeration) has its connection
/// closed, which vhci-hcd sees as an unplug. Control transfers run in order on the connection's
/// reader thread; each data endpoint has its own serial queue, so a bulk IN waiting for data does
/// not hold up a bulk OUT. URBs the device cannot complete yet wait until they complete or the
/// host unlinks them, as on a real bus.
public final class USBIPServer: Sendable {
    public let host: EmulatedUSBHost
    public let port: UInt16
    private let listener: TCPListener
    private let connections = Mutex<[String: [TCPSocket]]>([:])
    private let log: @Sendable (String) -> Void

    /// Listens on `address:port` (port 0: any free port; USB/IP's own is 3240).
    public init(host: EmulatedUSBHost, address: String = "127.0.0.1", port: UInt16 = 3240,
                log: @escaping @Sendable (String) -> Void = { _ in }) throws {
        self.host = host
        self.log = log
        listener = try TCPListener(host: address, port: port)
        self.port = listener.port
    }

    /// The devices on offer, as OP_REP_DEVLIST lists them.
    public func records() -> [USBIPDeviceRecord] {
        ((try? host.devices(readStrings: false)) ?? []).map(Self.record)
    }

    static func record(_ info: USBDeviceInfo) -> USBIPDeviceRecord {
        USBIPDeviceRecord(path: "/sys/devices/platform/pinion-sim/usb\(info.location.bus)/\(info.location.path)",
                          busID: info.location.path, busNumber: UInt32(info.location.bus),
                          deviceNumber: UInt32(info.location.address), speed: info.speed, descriptor: info.descriptor,
                          configurationValue: info.configurations.first?.value ?? 1, interfaces: info.interfaceSettings)
    }

    /// Starts accepting connections, each served on its own thread (socket I/O blocks, so none of
    /// it runs on the Swift concurrency pool).
    public func start() {
        Thread.detachNewThread { [self] in
            while let connection = try? listener.accept() {
                Thread.detachNewThread { [self] in serve(connection) }
            }
        }
    }

    /// Closes the connection of the device at `busID`: the importing kernel sees it unplugged.
    public func disconnect(busID: String) {
        let closing = connections.withLock { $0.removeValue(forKey: busID) ?? [] }
        for connection in closing { connection.close() }
        if !closing.isEmpty { log("usbip: \(busID) disconnected") }
    }

    /// Closes one imported device's connection when that device leaves the bus.
    private func drop(_ connection: TCPSocket, busID: String) {
        connections.withLock { $0[busID]?.removeAll { $0 === connection } }
        connection.close()
        log("usbip: \(busID) unplugged, connection closed")
    }

    public func stop() {
        listener.close()
        let all = connections.withLock { state in defer { state = [:] }; return state.values.flatMap { $0 } }
        for connection in all { connection.close() }
        host.shutdown()
    }

    private func serve(_ connection: TCPSocket) {
        do {
            let request = try connection.read(exactly: 8)
            let code = USBIPBytes.read16(request, 2)
            switch code {
            case USBIPProtocol.opRequestDeviceList:
                try connection.write(USBIPReply.deviceList(records()))
                connection.close()
            case USBIPProtocol.opRequestImport:
                let busID = USBIPBytes.string(try connection.read(exactly: 32))
                guard let info = try host.devices(readStrings: false).first(where: { $0.location.path == busID }),
                      let device = host.device(at: info.location.ports) else {
                    try connection.write(USBIPReply.importDevice(nil))
                    connection.close()
                    log("usbip: import of unknown busid \(busID) refused")
                    return
                }
                try connection.write(USBIPReply.importDevice(Self.record(info)))
                connections.withLock { $0[busID, default: []].append(connection) }
                device.onDisconnect { [self] in drop(connection, busID: busID) }
                log("usbip: \(busID) \(info.id) imported")
                try USBIPSession(connection: connection, device: device).run()
            default:
                log("usbip: unknown operation 0x\(String(code, radix: 16))")
                connection.close()
            }
        } catch {
            connection.close()
        }
    }
}

/// One imported device's URB traffic.
final class USBIPSession: Sendable {
    private let connection: TCPSocket
    private let device: EmulatedUSBDevice
    /// URBs submitted and not yet answered or unlinked.
    private let pending = Mutex<Set<UInt32>>([])
    private let queues = Mutex<[UInt8: DispatchQueue]>([:])
    private let portReset = USBIPPortResetDetector()

    init(connection: TCPSocket, device: EmulatedUSBDevice) {
        self.connection = connection
        self.device = device
    }

    func run() throws {
        while true {
            let bytes = try connection.read(exactly: USBIPProtocol.headerLength)
            guard let header = USBIPCommandHeader(bytes) else {
                throw TCPError("usbip", EPROTO, detail: "unknown command 0x\(String(USBIPBytes.read32(bytes, 0), radix: 16))")
            }
            if header.command == USBIPProtocol.commandUnlink {
                let wasPending = pending.withLock { $0.remove(header.unlinkSequenceNumber) != nil }
                try connection.write(USBIPReply.unlink(sequenceNumber: header.sequenceNumber,
                                                       status: wasPending ? USBIPProtocol.statusUnlinked : 0))
                continue
            }
            let data = !header.isIn && header.transferLength > 0 ? try connection.read(exactly: Int(header.transferLength)) : []
            if header.packetCount > 0 { _ = try connection.read(exactly: 16 * Int(header.packetCount)) }
            pending.withLock { _ = $0.insert(header.sequenceNumber) }
            if header.endpoint == 0 {
                guard let setup = USBSetupPacket(bytes: header.setup) else { continue }
                let reset = portReset.sees(setup)
                let response = device.control(setup, data: data)
                if response != .timeout { complete(header, response) }
                if reset { device.function?.busReset(device: device) }
            } else {
                queue(for: header.endpointAddress).async { [self] in transferData(header, data: data) }
            }
        }
    }

    private func queue(for endpoint: UInt8) -> DispatchQueue {
        queues.withLock { queues in
            if let queue = queues[endpoint] { return queue }
            let queue = DispatchQueue(label: "pinion.usbip.ep\(String(endpoint, radix: 16))")
            queues[endpoint] = queue
            return queue
        }
    }

    /// Runs a data-endpoint URB, re-asking the device while it NAKs, until it completes or is unlinked.
    private func transferData(_ header: USBIPCommandHeader, data: [UInt8]) {
        while true {
            let response = device.data(endpoint: header.endpointAddress, out: data, inLength: Int(header.transferLength),
                                       timeout: .milliseconds(200))
            if response != .timeout { return complete(header, response) }
            let stillPending = pending.withLock { $0.contains(header.sequenceNumber) }
            if !stillPending || !device.isConnected { return }
        }
    }

    private func complete(_ header: USBIPCommandHeader, _ response: EmulatedUSBResponse) {
        guard pending.withLock({ $0.remove(header.sequenceNumber) != nil }) else {
            // Unlinked while the device was producing its data: the data is not lost, it waits
            // for the next IN transfer (this endpoint's queue runs that one after this returns).
            if case .data(let bytes) = response, header.isIn, header.endpoint != 0, !bytes.isEmpty {
                device.returnUnread(endpoint: header.endpointAddress, data: bytes)
            }
            return
        }
        let reply: [UInt8]
        switch response {
        case .data(let bytes):
            reply = bytes.count > Int(header.transferLength)
                ? USBIPReply.submit(sequenceNumber: header.sequenceNumber, status: USBIPProtocol.statusOverflow, actualLength: 0, data: [])
                : USBIPReply.submit(sequenceNumber: header.sequenceNumber, status: 0, actualLength: bytes.count, data: bytes)
        case .accepted(let count):
            reply = USBIPReply.submit(sequenceNumber: header.sequenceNumber, status: 0, actualLength: count, data: [])
        case .stall:
            reply = USBIPReply.submit(sequenceNumber: header.sequenceNumber, status: USBIPProtocol.statusStall, actualLength: 0, data: [])
        case .disconnected, .timeout:
            reply = USBIPReply.submit(sequenceNumber: header.sequenceNumber, status: USBIPProtocol.statusNoDevice, actualLength: 0, data: [])
        }
        try? connection.write(reply)
    }
}
