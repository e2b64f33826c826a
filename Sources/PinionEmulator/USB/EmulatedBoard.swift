import Foundation
import PinionFirmware
import PinionSystem
import PinionUSB
import Synchronization

/// One emulated board plugged into an `EmulatedUSBHost` port. It shows its run-time or its
/// bootloader identity and re-enumerates between them as a real board does: a DFU_DETACH on
/// its run-time DFU interface makes it leave the bus and come back with its bootloader ids; in
/// the bootloader it takes a DFU download (`EmulatedDFUDevice`), and once the image is manifested
/// a DFU_DETACH or a USB reset boots it, back in run-time mode with the new firmware's version.
/// A model whose bootloader says DfuSe (bcdDFU 0x011A, an STM32) takes DfuSe downloads into a flash
/// memory laid out by its alternate settings' strings instead (`EmulatedDfuSeDevice`, see
/// EmulatedBoard+DfuSe.swift).
///
/// In run-time mode a model with an NPU (`model.npu`) runs `EmulatedNPU` firmware on its vendor
/// interface: Pinion's board protocol, real int8 models, a performance model, and utilisation
/// fed to the board's power model (`powerModel`, idle and active watts from the catalogue).
/// Without one the data endpoints stall, as an unprogrammed part does.
public final class EmulatedBoard: Sendable {
    public let model: EmulatedBoardModel
    public let serial: String
    public let ports: [UInt8]
    /// The board's power draw over time; its utilisation follows the NPU's work.
    public let powerModel: EmulatedPowerModel
    /// Seconds on the clock the power model runs on.
    public let clock: @Sendable () -> Double
    private let host: EmulatedUSBHost
    private let currentNPU = Mutex<EmulatedNPU?>(nil)
    private let wrongOutputsFlag = Mutex(false)

    struct State {
        var mode: EmulatedBoardMode
        var firmwareVersion: UInt16
        var firmware: [UInt8] = []
        var dfuBehaviour: EmulatedDFUDevice.Behaviour
        var manifestObservers: [@Sendable (EmulatedManifestation) -> Void] = []
        var dfuseMemory = EmulatedFlashMemory()
        var dfuseBehaviour = EmulatedDfuSeDevice.Behaviour()
        var dfuseExit: EmulatedDfuSeDevice.Exit?
    }

    let state: Mutex<State>

    /// Plugs the board into `host` at `ports` in `mode` (a mode the model lacks falls back to the other).
    public init(model: EmulatedBoardModel, serial: String, host: EmulatedUSBHost, ports: [UInt8], mode: EmulatedBoardMode = .runtime,
                volts: Double = 12, clock: @escaping @Sendable () -> Double = EmulatedBoard.processClock) {
        self.model = model
        self.serial = serial
        self.host = host
        self.ports = ports
        self.clock = clock
        powerModel = EmulatedPowerModel(.init(idleWatts: model.idleWatts, activeWatts: model.activeWatts,
                                              noiseWatts: 0.02 * model.activeWatts, busVolts: volts),
                                        seed: serial.utf8.reduce(UInt64(1469598103934665603)) { ($0 ^ UInt64($1)) &* 1099511628211 })
        let initial: EmulatedBoardMode = switch mode {
        case .runtime: model.runtime == nil ? .bootloader : .runtime
        case .bootloader: model.bootloader == nil ? .runtime : .bootloader
        }
        var initialState = State(mode: initial, firmwareVersion: model.firmwareVersion, dfuBehaviour: Self.behaviour(of: model))
        initialState.dfuseBehaviour = Self.dfuseBehaviour(of: model)
        state = Mutex(initialState)
        host.attach(makeDevice(initial), ports: ports)
    }

    /// Seconds since the process's first emulated board was made: the default clock.
    public static let processClock: @Sendable () -> Double = {
        let origin = processOrigin
        return { (ContinuousClock.now - origin).inSeconds }
    }()
    private static let processOrigin = ContinuousClock.now

    /// The NPU firmware running now (run-time mode of a model with an NPU), if any.
    public var npu: EmulatedNPU? { currentNPU.withLock { $0 } }

    /// Makes this board's NPU answer wrong outputs (`EmulatedNPU.wrongOutputs`), now and after
    /// every re-enumeration.
    public var wrongOutputs: Bool {
        get { wrongOutputsFlag.withLock { $0 } }
        set {
            wrongOutputsFlag.withLock { $0 = newValue }
            npu?.wrongOutputs = newValue
        }
    }

    public var currentMode: EmulatedBoardMode { state.withLock { $0.mode } }
    /// The version the run-time firmware reports (bcdDevice).
    public var firmwareVersion: UInt16 { state.withLock { $0.firmwareVersion } }
    /// The image last flashed and manifested (empty until one is).
    public var firmware: [UInt8] { state.withLock { $0.firmware } }

    /// How the bootloader behaves from the next time it enumerates (busy polls, failures, ...).
    public var dfuBehaviour: EmulatedDFUDevice.Behaviour {
        get { state.withLock { $0.dfuBehaviour } }
        set { state.withLock { $0.dfuBehaviour = newValue } }
    }

    /// Leaves the bus and comes back in `newMode`, with a new address, as after a DFU detach or reset.
    public func reenumerate(as newMode: EmulatedBoardMode) {
        state.withLock { $0.mode = newMode }
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

    /// Runs `observer` with each image the bootloader manifests (how `pinion sim` reports what it stored).
    public func onManifest(_ observer: @escaping @Sendable (EmulatedManifestation) -> Void) {
        state.withLock { $0.manifestObservers.append(observer) }
    }

    /// The bootloader manifested `image`: the board now holds it.
    func manifested(_ manifestation: EmulatedManifestation) {
        let observers = state.withLock { state in
            state.firmware = manifestation.image
            if let version = BCDVersion.of(image: manifestation.image) { state.firmwareVersion = version }
            return state.manifestObservers
        }
        for observer in observers { observer(manifestation) }
    }

    /// Leaves the bus and re-enumerates in `mode` a moment later, on a thread of its own, as a board
    /// does after answering the request that made it go.
    func reenumerateSoon(as mode: EmulatedBoardMode) {
        Thread.detachNewThread { [self] in
            Thread.sleep(forTimeInterval: 0.01)
            reenumerate(as: mode)
        }
    }

    private func makeDevice(_ mode: EmulatedBoardMode) -> EmulatedUSBDevice {
        let identity = (mode == .runtime ? model.runtime : model.bootloader) ?? (model.runtime ?? model.bootloader)!
        let (version, behaviour) = state.withLock { ($0.firmwareVersion, $0.dfuBehaviour) }
        let npu = (mode == .runtime || model.bootloader == nil) ? model.npu.map { spec in
            EmulatedNPU(spec: spec, firmwareVersion: BCDVersion.string(version), serial: serial, powerModel: powerModel, clock: clock) {
                [weak self] toBootloader in self?.reenumerate(as: toBootloader ? .bootloader : .runtime)
            }
        } : nil
        npu?.wrongOutputs = wrongOutputsFlag.withLock { $0 }
        currentNPU.withLock { old in
            old?.stop()
            old = npu
        }
        powerModel.setUtilisation(0, at: clock())
        let function: any EmulatedUSBFunction = if mode == .runtime || model.bootloader == nil {
            RuntimeDFUFunction(board: self, npu: npu)
        } else if identity.isDfuSe {
            BootloaderDfuSeFunction(board: self, identity: identity)
        } else {
            BootloaderDFUFunction(board: self, behaviour: behaviour)
        }
        return EmulatedUSBDevice(id: identity.id, deviceVersion: mode == .runtime ? version : 0x0100, manufacturer: model.manufacturer,
                                 product: mode == .runtime ? model.product : "\(model.product) (DFU)",
                                 serial: serial, interfaces: identity.interfaces, otherStrings: identity.strings, speed: identity.speed,
                                 function: function)
    }

    /// The bootloader's behaviour from the DFU functional descriptor the model presents.
    private static func behaviour(of model: EmulatedBoardModel) -> EmulatedDFUDevice.Behaviour {
        var behaviour = EmulatedDFUDevice.Behaviour()
        let functional = model.bootloader?.interfaces.lazy.flatMap(\.extra)
            .first { $0.type == USBDescriptorType.dfuFunctional.rawValue }
            .flatMap { try? DFUFunctionalDescriptor(bytes: $0.bytes) }
        if let functional {
            behaviour.transferSize = Int(functional.transferSize)
            behaviour.manifestationTolerant = functional.manifestationTolerant
            behaviour.canUpload = functional.canUpload
        }
        return behaviour
    }
}

/// Run-time mode: answers DFU run-time requests (DFU 1.1 §5; DETACH makes the board re-enumerate
/// in its bootloader) and hands the vendor interface's bulk endpoints to the NPU firmware, if any.
final class RuntimeDFUFunction: EmulatedUSBFunction {
    private let board: EmulatedBoard
    private let npu: EmulatedNPU?

    init(board: EmulatedBoard, npu: EmulatedNPU?) {
        self.board = board
        self.npu = npu
    }

    func bulkOut(endpoint: UInt8, data: [UInt8], device: EmulatedUSBDevice) -> EmulatedUSBResponse {
        guard let npu, endpoint == 0x01 else { return .stall }
        npu.receive(data)
        return .accepted(data.count)
    }

    func bulkIn(endpoint: UInt8, maxLength: Int, timeout: Duration, device: EmulatedUSBDevice) -> EmulatedUSBResponse {
        guard let npu, endpoint == 0x81 else { return .stall }
        if let bytes = npu.transmit(maxLength: maxLength, timeout: timeout) { return .data(bytes) }
        return device.isConnected ? .timeout : .disconnected
    }

    func disconnected(device: EmulatedUSBDevice) {
        npu?.stop()
    }

    func returnUnread(endpoint: UInt8, data: [UInt8], device: EmulatedUSBDevice) {
        npu?.returnUnread(data)
    }

    func control(_ setup: USBSetupPacket, data: [UInt8], device: EmulatedUSBDevice) -> EmulatedUSBResponse? {
        guard setup.kind == .class, setup.recipient == .interface, board.model.bootloader != nil else { return nil }
        let dfuInterface = device.configurations.first?.interfaces.flatMap(\.settings).first { $0.isDFU && $0.interfaceProtocol == 1 }
        guard let dfuInterface, UInt16(dfuInterface.interfaceNumber) == setup.index else { return nil }
        switch DFURuntimeAnswer(request: setup.request, length: setup.length) {
        case .detach:
            board.reenumerateSoon(as: .bootloader)
            return .accepted(0)
        case .data(let bytes):
            return .data(bytes)
        case .stall:
            return nil
        }
    }
}

/// The bootloader's DFU interface: DFU 1.1 class requests go to an `EmulatedDFUDevice`.
final class BootloaderDFUFunction: EmulatedUSBFunction {
    private let board: EmulatedBoard
    private let dfu: Mutex<EmulatedDFUDevice>
    /// When the current download's first block arrived, as the board's own clock saw it.
    private let downloadStarted = Mutex<ContinuousClock.Instant?>(nil)

    init(board: EmulatedBoard, behaviour: EmulatedDFUDevice.Behaviour) {
        self.board = board
        dfu = Mutex(EmulatedDFUDevice(behaviour: behaviour, stored: board.firmware))
    }

    func control(_ setup: USBSetupPacket, data: [UInt8], device: EmulatedUSBDevice) -> EmulatedUSBResponse? {
        guard setup.kind == .class, setup.recipient == .interface else { return nil }
        let (reply, manifestedImage, bootNow) = dfu.withLock { dfu -> (EmulatedDFUDevice.Reply, [UInt8]?, Bool) in
            let before = dfu.manifestations
            if setup.request == DFURequest.download.rawValue && !data.isEmpty && dfu.state == .idle {
                downloadStarted.withLock { $0 = .now }
            }
            // A DETACH after a manifested image boots it (how hosts leave a manifestation-tolerant bootloader).
            if setup.request == DFURequest.detach.rawValue && dfu.manifestations > 0 && dfu.state == .idle {
                return (.accepted, nil, true)
            }
            let reply = dfu.handle(request: setup.request, value: setup.value, length: setup.length, data: data)
            let manifested = dfu.manifestations > before ? dfu.stored : nil
            // An intolerant part resets itself into the new image, unless it waits silently for the host's reset.
            return (reply, manifested, manifested != nil && dfu.state == .manifestWaitReset && !dfu.behaviour.silentUntilReset)
        }
        if let manifestedImage {
            let started = downloadStarted.withLock { started in defer { started = nil }; return started }
            board.manifested(EmulatedManifestation(image: manifestedImage, downloadSeconds: started.map { (ContinuousClock.now - $0).inSeconds }))
        }
        if bootNow { board.reenumerateSoon(as: .runtime) }
        switch reply {
        case .data(let bytes): return .data(bytes)
        case .accepted: return .accepted(data.count)
        case .stall: return .stall
        }
    }

    func busReset(device: EmulatedUSBDevice) {
        let manifested = dfu.withLock { $0.manifestations > 0 }
        board.reenumerateSoon(as: manifested || !board.firmware.isEmpty ? .runtime : .bootloader)
    }
}

/// An image a bootloader manifested, and how long its download took from the first block's
/// arrival to the end of manifestation as the board saw it: the same stopwatch for every host.
public struct EmulatedManifestation: Sendable {
    public var image: [UInt8]
    public var downloadSeconds: Double?
}
