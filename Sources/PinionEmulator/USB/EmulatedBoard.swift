import Foundation
import PinionUSB
import Synchronization

/// One emulated board plugged into an `EmulatedUSBHost` port. It shows its run-time or its
/// bootloader identity and re-enumerates between them as a real board does: a DFU_DETACH on
/// its run-time DFU interface makes it leave the bus and come back with its bootloader ids.
///
/// The board protocol on the vendor interface and DFU downloads arrive with their own issues;
/// until then the data endpoints and bootloader class requests stall, as an unprogrammed part does.
public final class EmulatedBoard: Sendable {
    public let model: EmulatedBoardModel
    public let serial: String
    public let ports: [UInt8]
    private let host: EmulatedUSBHost
    private let mode = Mutex<EmulatedBoardMode>(.runtime)

    /// Plugs the board into `host` at `ports` in `mode` (a mode the model lacks falls back to the other).
    public init(model: EmulatedBoardModel, serial: String, host: EmulatedUSBHost, ports: [UInt8], mode: EmulatedBoardMode = .runtime) {
        self.model = model
        self.serial = serial
        self.host = host
        self.ports = ports
        let initial: EmulatedBoardMode = switch mode {
        case .runtime: model.runtime == nil ? .bootloader : .runtime
        case .bootloader: model.bootloader == nil ? .runtime : .bootloader
        }
        self.mode.withLock { $0 = initial }
        host.attach(makeDevice(initial), ports: ports)
    }

    public var currentMode: EmulatedBoardMode { mode.withLock { $0 } }

    /// Leaves the bus and comes back in `newMode`, with a new address, as after a DFU detach or reset.
    public func reenumerate(as newMode: EmulatedBoardMode) {
        mode.withLock { $0 = newMode }
        host.attach(makeDevice(newMode), ports: ports)
    }

    /// Unplugs the board.
    public func unplug() {
        host.detach(ports: ports)
    }

    /// Plugs it back in, in the mode it was last in.
    public func plugIn() {
        host.attach(makeDevice(currentMode), ports: ports)
    }

    private func makeDevice(_ mode: EmulatedBoardMode) -> EmulatedUSBDevice {
        let identity = (mode == .runtime ? model.runtime : model.bootloader) ?? (model.runtime ?? model.bootloader)!
        let version: UInt16 = mode == .runtime ? model.firmwareVersion : 0x0100
        return EmulatedUSBDevice(id: identity.id, deviceVersion: version, manufacturer: model.manufacturer,
                                 product: mode == .runtime ? model.product : "\(model.product) (DFU)",
                                 serial: serial, interfaces: identity.interfaces, speed: identity.speed,
                                 function: RuntimeDFUFunction(board: self))
    }
}

/// Answers DFU run-time requests (DFU 1.1 §5): DETACH makes the board re-enumerate in its bootloader.
final class RuntimeDFUFunction: EmulatedUSBFunction {
    private let board: EmulatedBoard

    init(board: EmulatedBoard) { self.board = board }

    func control(_ setup: USBSetupPacket, data: [UInt8], device: EmulatedUSBDevice) -> EmulatedUSBResponse? {
        guard setup.kind == .class, setup.recipient == .interface, board.currentMode == .runtime,
              board.model.bootloader != nil else { return nil }
        let dfuInterface = device.configurations.first?.interfaces.flatMap(\.settings).first { $0.isDFU && $0.interfaceProtocol == 1 }
        guard let dfuInterface, UInt16(dfuInterface.interfaceNumber) == setup.index else { return nil }
        switch setup.request {
        case 0:  // DFU_DETACH
            let board = self.board
            // The board answers the request, then drops off the bus: not inside the host's transfer.
            Thread.detachNewThread { board.reenumerate(as: .bootloader) }
            return .accepted(0)
        case 3:  // DFU_GETSTATUS in run-time: appIDLE, no error, no poll timeout
            return .data(Array([0, 0, 0, 0, 0, 0].prefix(Int(setup.length))))
        case 5:  // DFU_GETSTATE: appIDLE
            return .data([0])
        default:
            return nil
        }
    }
}
