import Foundation
import PinionBoards
import PinionFirmware
import PinionUSB
import Synchronization

/// `pinion-board`'s USB side: two gadgets in configfs, each with one FunctionFS function, bound
/// one at a time to the board's USB device controller (UDC), so the host sees a board that
/// re-enumerates between its two identities as a DFU board does:
///
/// - run time (the descriptor's `[usb.runtime]` id, bcdDevice = the firmware's version): a vendor
///   interface whose bulk endpoints carry the board protocol to `BoardFirmware`, and a DFU
///   run-time interface; DFU_DETACH there (or the board protocol's DETACH_TO_DFU) switches to
/// - the bootloader (`[usb.bootloader]` id): a DFU-mode interface run by `DFUDeviceMachine`. A
///   manifested image is stored (`FirmwareStore`) and DFU_DETACH or a USB reset boots back into
///   run time with the image's version.
///
/// Control requests reach it as FunctionFS ep0 events; bulk data through the endpoint files.
public final class BoardGadget: Sendable {
    public struct Configuration: Sendable {
        public var board: BoardDescriptor
        public var serial: String
        public var udc: String
        /// Names the configfs gadgets (`<name>`, `<name>-dfu`) and FunctionFS instances.
        public var name: String
        /// FunctionFS mount points go under it (`<root>/<name>`, `<root>/<name>-dfu`).
        public var mountRoot: String
        public var configfs: String

        public init(board: BoardDescriptor, serial: String, udc: String, name: String = "pinion-board",
                    mountRoot: String = "/dev/usb-ffs", configfs: String = "/sys/kernel/config") {
            self.board = board
            self.serial = serial
            self.udc = udc
            self.name = name
            self.mountRoot = mountRoot
            self.configfs = configfs
        }
    }

    public enum Mode: String, Sendable { case runtime, bootloader }

    private struct State {
        var mode = Mode.runtime
        var machine = DFUDeviceMachine()
        var firmwareVersion: UInt16
        var switching = false
        var stopped = false
    }

    public let configuration: Configuration
    public let firmware: BoardFirmware
    private let store: FirmwareStore
    private let log: @Sendable (String) -> Void
    private let runtimeGadget: GadgetConfigFS
    private let bootloaderGadget: GadgetConfigFS
    private let runtimeFunction: FunctionFSFunction
    private let bootloaderFunction: FunctionFSFunction
    private let writer: BulkEndpointWriter
    private let outFD: Int32
    private let state: Mutex<State>
    private let dfuBehaviour: DFUDeviceMachine.Behaviour

    /// Sets both gadgets up and binds the run-time one. `makeFirmware` builds the board-protocol
    /// firmware around the gadget's `send` and `reset` (called once).
    public init(_ configuration: Configuration, store: FirmwareStore, firmwareVersion: UInt16,
                log: @escaping @Sendable (String) -> Void,
                makeFirmware: (_ send: @escaping @Sendable ([UInt8]) -> Void, _ reset: @escaping @Sendable (Bool) -> Void) -> BoardFirmware) throws(GadgetError) {
        let board = configuration.board
        guard let runtime = board.runtime, let bootloader = board.bootloader else {
            throw GadgetError("use board descriptor", path: board.source, hint: "pinion-board needs both [usb.runtime] and [usb.bootloader] ids")
        }
        self.configuration = configuration
        self.store = store
        self.log = log
        let version = store.load().flatMap(BCDVersion.of(image:)) ?? firmwareVersion
        state = Mutex(State(firmwareVersion: version))
        var behaviour = DFUDeviceMachine.Behaviour()
        behaviour.transferSize = board.flash.transferSize ?? 4096
        behaviour.canUpload = board.flash.canUpload ?? true
        behaviour.manifestationTolerant = board.flash.manifestationTolerant ?? true
        if let size = board.flash.flashSizeBytes { behaviour.capacity = size }
        dfuBehaviour = behaviour
        let name = configuration.name
        runtimeGadget = GadgetConfigFS(name: name, functionInstance: name, configfs: configuration.configfs)
        bootloaderGadget = GadgetConfigFS(name: name + "-dfu", functionInstance: name + "-dfu", configfs: configuration.configfs)
        try runtimeGadget.create(Self.runtimeDevice(configuration, runtime: runtime, version: version))
        try bootloaderGadget.create(.init(id: bootloader.id, deviceVersion: 0x0100, manufacturer: board.vendor,
                                          product: bootloader.product ?? "\(board.name) (DFU)", serial: configuration.serial,
                                          configuration: "DFU"))
        runtimeFunction = try FunctionFSFunction(instance: name, mountPoint: "\(configuration.mountRoot)/\(name)")
        bootloaderFunction = try FunctionFSFunction(instance: name + "-dfu", mountPoint: "\(configuration.mountRoot)/\(name)-dfu")
        let functional = Self.functionalDescriptor(board.flash, behaviour: behaviour)
        let runtimeTaken = try runtimeFunction.start(FunctionFSDescriptors(interfaces: [
            .init(interfaceClass: 0xFF, name: "Pinion board protocol",
                  endpoints: [.init(number: 1, isIn: false), .init(number: 1, isIn: true)]),
            .init(interfaceClass: 0xFE, subclass: 0x01, interfaceProtocol: 0x01, name: "DFU run-time", classDescriptors: [functional]),
        ]))
        try bootloaderFunction.start(FunctionFSDescriptors(interfaces: [
            .init(interfaceClass: 0xFE, subclass: 0x01, interfaceProtocol: 0x02, name: "firmware", classDescriptors: [functional]),
        ]))
        if runtimeTaken.interfaces[1].classDescriptors.isEmpty {
            log("notice: this kernel's FunctionFS refuses the DFU functional descriptor; the DFU interfaces go without it (the host takes transfer size and attributes from the board catalogue)")
        }
        outFD = try runtimeFunction.openEndpoint(1)
        let inFD = try runtimeFunction.openEndpoint(2)
        writer = BulkEndpointWriter(fd: inFD, name: "board gadget bulk IN")
        let send: @Sendable ([UInt8]) -> Void = { [writer] bytes in writer.send(bytes) }
        let box = Mutex<BoardGadget?>(nil)
        firmware = makeFirmware(send) { toBootloader in
            box.withLock { $0 }?.switchSoon(to: toBootloader ? .bootloader : .runtime, why: toBootloader ? "DETACH_TO_DFU" : "RESET")
        }
        box.withLock { $0 = self }
        startThread("board gadget ep0 (run time)") { [self] in controlLoop(runtimeFunction, mode: .runtime) }
        startThread("board gadget ep0 (DFU)") { [self] in controlLoop(bootloaderFunction, mode: .bootloader) }
        startThread("board gadget bulk OUT") { [self] in readLoop() }
        try runtimeGadget.bind(udc: configuration.udc)
        log("bound to \(configuration.udc) as \(runtime.id) (run time), firmware \(BCDVersion.string(version)), serial \(configuration.serial)")
    }

    public var mode: Mode { state.withLock { $0.mode } }

    /// Unbinds, closes and removes both gadgets.
    public func stop() {
        state.withLock { $0.stopped = true }
        runtimeGadget.unbind()
        bootloaderGadget.unbind()
        writer.stop()
        firmware.stop()
        runtimeFunction.close()
        bootloaderFunction.close()
        runtimeGadget.remove()
        bootloaderGadget.remove()
    }

    /// The run-time gadget's device: the descriptor's run-time id and product, the firmware's version.
    private static func runtimeDevice(_ configuration: Configuration, runtime: USBIdentity, version: UInt16) -> GadgetConfigFS.Device {
        GadgetConfigFS.Device(id: runtime.id, deviceVersion: version, manufacturer: configuration.board.vendor,
                              product: runtime.product ?? configuration.board.name, serial: configuration.serial, configuration: "board protocol")
    }

    /// The DFU functional descriptor (DFU 1.1 §4.1.3) the board's `[flash]` settings describe.
    static func functionalDescriptor(_ flash: FlashSettings, behaviour: DFUDeviceMachine.Behaviour) -> [UInt8] {
        var attributes: UInt8 = 0x01
        if behaviour.canUpload { attributes |= 0x02 }
        if behaviour.manifestationTolerant { attributes |= 0x04 }
        if flash.willDetach ?? true { attributes |= 0x08 }
        let detach = UInt16(clamping: flash.detachTimeoutMilliseconds)
        let size = UInt16(clamping: behaviour.transferSize)
        return [9, 0x21, attributes, UInt8(detach & 0xFF), UInt8(detach >> 8), UInt8(size & 0xFF), UInt8(size >> 8), 0x10, 0x01]
    }

    private func startThread(_ name: String, _ body: @escaping @Sendable () -> Void) {
        let thread = Thread(block: body)
        thread.name = name
        thread.start()
    }

    private func readLoop() {
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        while !state.withLock({ $0.stopped }) {
            let count = buffer.withUnsafeMutableBytes { read(outFD, $0.baseAddress!, $0.count) }
            if count > 0 {
                firmware.receive(Array(buffer[0..<count]))
            } else if count < 0 && errno != EINTR {
                // ESHUTDOWN and friends: the host reset or left; the next read waits for it.
                Thread.sleep(forTimeInterval: 0.01)
            }
        }
    }

    private func controlLoop(_ function: FunctionFSFunction, mode: Mode) {
        while let events = function.events() {
            for event in events {
                switch event {
                case .setup(let setup):
                    if mode == .runtime { runtimeRequest(setup, function) } else { bootloaderRequest(setup, function) }
                case .disable where mode == .runtime:
                    // A USB reset or the gadget leaving: what the host had in flight is gone.
                    writer.clear()
                    firmware.restart()
                case .disable where mode == .bootloader:
                    let (manifested, current) = state.withLock { ($0.machine.manifestations > 0, $0.mode) }
                    if manifested && current == .bootloader { switchSoon(to: .runtime, why: "USB reset after manifestation") }
                default:
                    break
                }
            }
        }
    }

    /// DFU run-time requests (DFU 1.1 §5.1): DETACH, GETSTATUS, GETSTATE; the rest stall.
    private func runtimeRequest(_ setup: USBSetupPacket, _ function: FunctionFSFunction) {
        guard setup.kind == .class, setup.recipient == .interface, setup.index == 1 else { return function.stall(setup) }
        switch DFURuntimeAnswer(request: setup.request, length: setup.length) {
        case .detach:
            _ = function.receive(length: 0)
            switchSoon(to: .bootloader, why: "DFU_DETACH")
        case .data(let bytes):
            function.reply(bytes)
        case .stall:
            function.stall(setup)
        }
    }

    /// DFU-mode requests, run by `DFUDeviceMachine`; DETACH boots the run-time firmware.
    private func bootloaderRequest(_ setup: USBSetupPacket, _ function: FunctionFSFunction) {
        guard setup.kind == .class, setup.recipient == .interface, setup.index == 0 else { return function.stall(setup) }
        if DFURequest(rawValue: setup.request) == .detach {
            _ = function.receive(length: 0)
            switchSoon(to: .runtime, why: "DFU_DETACH in DFU mode")
            return
        }
        var data: [UInt8] = []
        if setup.direction == .out, setup.length > 0 {
            guard let received = function.receive(length: Int(setup.length)) else { return }
            data = received
        }
        let (reply, image) = state.withLock { state -> (DFUDeviceMachine.Reply, [UInt8]?) in
            let before = state.machine.manifestations
            let reply = state.machine.handle(request: setup.request, value: setup.value, length: setup.length, data: data)
            return (reply, state.machine.manifestations > before ? state.machine.stored : nil)
        }
        if let image { manifested(image) }
        switch reply {
        case .data(let bytes): function.reply(bytes)
        case .accepted: if setup.direction == .in { function.reply([]) } else if setup.length == 0 { _ = function.receive(length: 0) }
        case .stall: function.stall(setup)
        }
    }

    private func manifested(_ image: [UInt8]) {
        do {
            try store.store(image)
            let version = BCDVersion.of(image: image)
            if let version {
                state.withLock { $0.firmwareVersion = version }
                firmware.firmwareVersion = BCDVersion.string(version)
            }
            log("stored a \(image.count)-byte image in \(store.imagePath)\(version.map { ", version \(BCDVersion.string($0))" } ?? " (no MCUboot header: version unchanged)")")
        } catch {
            log("error: the manifested image was not stored: \(error)")
        }
    }

    /// Leaves the bus and comes back in `mode` a moment later (after the request that caused it
    /// has been answered), on a thread of its own.
    private func switchSoon(to mode: Mode, why: String) {
        let start = state.withLock { state -> Bool in
            guard !state.switching, !state.stopped else { return false }
            state.switching = true
            return true
        }
        guard start else { return }
        startThread("board gadget re-enumeration") { [self] in
            Thread.sleep(forTimeInterval: 0.02)
            do {
                try reenumerate(as: mode)
                log("\(why): re-enumerated as \(mode == .runtime ? "run time" : "DFU bootloader")")
            } catch {
                log("error: \(why): could not re-enumerate as \(mode.rawValue): \(error)")
            }
            state.withLock { $0.switching = false }
        }
    }

    private func reenumerate(as mode: Mode) throws(GadgetError) {
        runtimeGadget.unbind()
        bootloaderGadget.unbind()
        writer.clear()
        firmware.restart()
        let version = state.withLock { state -> UInt16 in
            state.mode = mode
            state.machine = DFUDeviceMachine(behaviour: dfuBehaviour, stored: store.load() ?? [])
            return state.firmwareVersion
        }
        if mode == .runtime {
            try runtimeGadget.set(Self.runtimeDevice(configuration, runtime: configuration.board.runtime!, version: version))
            try runtimeGadget.bind(udc: configuration.udc)
        } else {
            try bootloaderGadget.bind(udc: configuration.udc)
        }
    }
}
