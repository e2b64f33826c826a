import PinionEmulator
import PinionFirmware

/// An emulated DFU device model the host's download machine can be run against.
protocol EmulatedDFUModel {
    mutating func handle(request: UInt8, value: UInt16, length: UInt16, data: [UInt8]) -> EmulatedDFUDevice.Reply
    /// The device left the bus (a DfuSe part that jumped to its application): it answers nothing.
    var hasLeftBus: Bool { get }
}

extension EmulatedDFUDevice: EmulatedDFUModel {
    var hasLeftBus: Bool { false }
}

extension EmulatedDfuSeDevice: EmulatedDFUModel {
    var hasLeftBus: Bool { exit != nil }
}

/// Runs `machine` against `device` until it finishes (both values, no I/O, no clock); returns the
/// last action and every action.
func runMachine<Device: EmulatedDFUModel>(_ machine: inout DFUDownloadMachine, against device: inout Device)
    -> (DFUDownloadMachine.Action, [DFUDownloadMachine.Action]) {
    var actions: [DFUDownloadMachine.Action] = []
    var action = machine.next(.start)
    while true {
        actions.append(action)
        let event: DFUDownloadMachine.Event
        switch action {
        case .finished, .failed:
            return (action, actions)
        case .wait:
            event = .waited
        case _ where device.hasLeftBus:
            event = .deviceGone
        case .getStatus:
            guard case .data(let bytes) = device.handle(request: 3, value: 0, length: 6, data: []),
                  let status = DFUStatus(bytes: bytes) else { event = .stalled; break }
            event = .status(status)
        case .clearStatus:
            event = device.handle(request: 4, value: 0, length: 0, data: []) == .stall ? .stalled : .accepted
        case .abort:
            event = device.handle(request: 6, value: 0, length: 0, data: []) == .stall ? .stalled : .accepted
        case .download(let block, let data):
            event = device.handle(request: 1, value: block, length: UInt16(data.count), data: data) == .stall ? .stalled : .accepted
        }
        action = machine.next(event)
    }
}
