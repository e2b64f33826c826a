import Foundation
import PinionBoardFirmware
import PinionBoardLink
import PinionEmulator
import PinionUSB
import Synchronization

/// `BoardFirmware` behind an emulated USB device with the endpoint layout the Linux gadget stack
/// gives it on dummy_hcd (bulk OUT 0x02, bulk IN 0x81), so the host's own board link (libusb's
/// code paths aside) talks to the real firmware core in-process.
final class FirmwareOnEmulatedBus: Sendable {
    let host = EmulatedUSBHost()
    let firmware: BoardFirmware
    /// RESET (false) and DETACH_TO_DFU (true) requests the firmware acted on, in order.
    let resets = ResetLog()
    private let function: Function

    final class Function: EmulatedUSBFunction {
        let outgoing = EmulatedByteQueue()
        let firmware = Mutex<BoardFirmware?>(nil)
        nonisolated(unsafe) var leaveOnDetach = false

        func bulkOut(endpoint: UInt8, data: [UInt8], device: EmulatedUSBDevice) -> EmulatedUSBResponse {
            // A frame header's type byte is at offset 3; 0x09 is DETACH_TO_DFU.
            if leaveOnDetach, data.count >= 16, data[0] == 0x50, data[1] == 0x4E, data[3] == 0x09 {
                device.disconnect()
                return .accepted(data.count)
            }
            firmware.withLock { $0 }?.receive(data)
            return .accepted(data.count)
        }

        func bulkIn(endpoint: UInt8, maxLength: Int, timeout: Duration, device: EmulatedUSBDevice) -> EmulatedUSBResponse {
            outgoing.take(maxLength: maxLength, timeout: timeout) { device.isConnected }.map { .data($0) } ?? .timeout
        }

        func returnUnread(endpoint: UInt8, data: [UInt8], device: EmulatedUSBDevice) { outgoing.prepend(data) }
        func disconnected(device: EmulatedUSBDevice) { outgoing.wake() }
    }

    /// - Parameter leaveAtOnce: a DETACH_TO_DFU unplugs the device as it arrives, before the board
    ///   can answer (a fast board; the race a loaded host loses).
    init(backend: any InferenceBackend, maxInFlight: Int = 16, workers: Int = 2, leaveAtOnce: Bool = false,
         telemetry: @escaping @Sendable () -> (celsius: Double, watts: Double) = { (40, .nan) }) {
        let function = Function()
        function.leaveOnDetach = leaveAtOnce
        self.function = function
        let resets = self.resets
        firmware = BoardFirmware(identity: .init(firmwareVersion: "1.00", serial: "PB-TEST", maxInFlight: maxInFlight), backend: backend,
                                 workers: workers, send: { function.outgoing.append($0) }, telemetry: telemetry,
                                 onReset: { toBootloader in resets.record(toBootloader) })
        function.firmware.withLock { $0 = firmware }
        let device = EmulatedUSBDevice(id: USBID(vendor: 0x1209, product: 0x0006), manufacturer: "Pinion", product: "Pinion reference board",
                                       serial: "PB-TEST", interfaces: [
                                           USBInterfaceSetting(interfaceNumber: 0, interfaceClass: 0xFF, endpoints: [
                                               USBEndpoint(address: 0x02, type: .bulk, maxPacketSize: 512),
                                               USBEndpoint(address: 0x81, type: .bulk, maxPacketSize: 512),
                                           ]),
                                           USBInterfaceSetting(interfaceNumber: 1, interfaceClass: 0xFE, interfaceSubclass: 1, interfaceProtocol: 1),
                                       ], function: function)
        host.attach(device, ports: [1])
    }

    /// The host's board link, endpoints found from the descriptors.
    func connect() throws -> BoardConnection {
        let info = try host.devices(readStrings: true)[0]
        return try BoardConnection(device: try host.open(info.location), info: info)
    }

    func shutdown() {
        firmware.stop()
        host.shutdown()
    }
}

final class ResetLog: Sendable {
    private let entries = Mutex<[Bool]>([])
    func record(_ toBootloader: Bool) { entries.withLock { $0.append(toBootloader) } }
    var all: [Bool] { entries.withLock { $0 } }
}
