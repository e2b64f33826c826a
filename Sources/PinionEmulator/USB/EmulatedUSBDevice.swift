import PinionUSB
import Synchronization

/// An emulated USB device: full descriptor set, chapter-9 standard requests, and an
/// `EmulatedUSBFunction` for everything else. Transport-independent: the in-process host and
/// the USB/IP server both call `handle(_:)`.
public final class EmulatedUSBDevice: Sendable {
    public let descriptor: USBDeviceDescriptor
    public let configurations: [USBConfiguration]
    /// String descriptors by index (index 0, the LANGID list, is generated).
    public let strings: [UInt8: String]
    public let speed: USBSpeed
    public let function: (any EmulatedUSBFunction)?

    private struct State {
        var configuration: UInt8 = 0
        var alternates: [UInt8: UInt8] = [:]
        var halted: Set<UInt8> = []
        var connected = true
        var openDenied = false
        var disconnectObservers: [@Sendable () -> Void] = []
    }

    private let state = Mutex(State())

    public init(descriptor: USBDeviceDescriptor, configurations: [USBConfiguration], strings: [UInt8: String] = [:],
                speed: USBSpeed = .high, function: (any EmulatedUSBFunction)? = nil) {
        var descriptor = descriptor
        descriptor.configurationCount = UInt8(configurations.count)
        self.descriptor = descriptor
        self.configurations = configurations
        self.strings = strings
        self.speed = speed
        self.function = function
    }

    /// A convenience for the common shape: manufacturer, product and serial strings at indexes 1, 2, 3;
    /// `otherStrings` (interface names, say) at the indexes the descriptors give them.
    public convenience init(id: USBID, deviceVersion: UInt16 = 0x0100, manufacturer: String, product: String, serial: String?,
                            interfaces: [USBInterfaceSetting], otherStrings: [UInt8: String] = [:], speed: USBSpeed = .high,
                            function: (any EmulatedUSBFunction)? = nil) {
        var strings = otherStrings
        strings[1] = manufacturer
        strings[2] = product
        if let serial { strings[3] = serial }
        var grouped: [USBInterface] = []
        for setting in interfaces {
            if let index = grouped.firstIndex(where: { $0.number == setting.interfaceNumber }) {
                grouped[index].settings.append(setting)
            } else {
                grouped.append(USBInterface(number: setting.interfaceNumber, settings: [setting]))
            }
        }
        self.init(descriptor: USBDeviceDescriptor(maxPacketSize0: 64, id: id, deviceVersion: deviceVersion,
                                                  manufacturerIndex: 1, productIndex: 2, serialNumberIndex: serial == nil ? 0 : 3),
                  configurations: [USBConfiguration(interfaces: grouped)], strings: strings, speed: speed, function: function)
    }

    /// The device descriptor and configurations as bytes, exactly as GET_DESCRIPTOR returns them.
    public var deviceDescriptorBytes: [UInt8] { USBDescriptorEncoder.device(descriptor) }

    public func configurationBytes(index: Int) -> [UInt8]? {
        configurations.indices.contains(index) ? USBDescriptorEncoder.configuration(configurations[index]) : nil
    }

    /// The configuration value selected by SET_CONFIGURATION (0: none).
    public var activeConfiguration: UInt8 { state.withLock { $0.configuration } }

    public var isConnected: Bool { state.withLock { $0.connected } }

    /// The alternate setting SET_INTERFACE selected on `interface` (0 until one does).
    public func alternateSetting(of interface: UInt8) -> UInt8 {
        state.withLock { $0.alternates[interface] ?? 0 }
    }

    /// Marks the device unplugged: every later transaction fails as `.disconnected`, and each
    /// disconnect observer runs once, on the thread that unplugged it.
    public func disconnect() {
        let observers = state.withLock { state -> [@Sendable () -> Void] in
            guard state.connected else { return [] }
            state.connected = false
            defer { state.disconnectObservers = [] }
            return state.disconnectObservers
        }
        function?.disconnected(device: self)
        for observer in observers { observer() }
    }

    /// Runs `observer` when the device is unplugged (at once if it already is). Transports use it
    /// to drop their connection synchronously, without a task that a busy executor could delay.
    public func onDisconnect(_ observer: @escaping @Sendable () -> Void) {
        let alreadyGone = state.withLock { state -> Bool in
            if state.connected { state.disconnectObservers.append(observer) }
            return !state.connected
        }
        if alreadyGone { observer() }
    }

    /// Makes opening fail with permission denied, as for a device node without the udev rule.
    public func denyOpen(_ deny: Bool = true) { state.withLock { $0.openDenied = deny } }

    var isOpenDenied: Bool { state.withLock { $0.openDenied } }

    /// Handles one control transaction: standard requests here, the rest by the function.
    public func control(_ setup: USBSetupPacket, data: [UInt8] = []) -> EmulatedUSBResponse {
        guard isConnected else { return .disconnected }
        if setup.kind == .standard, let response = standard(setup, data: data) {
            return response
        }
        if setup.kind != .standard, let response = function?.control(setup, data: data, device: self) {
            return response
        }
        return .stall
    }

    /// Handles one bulk or interrupt transaction on a data endpoint.
    public func data(endpoint: UInt8, out: [UInt8], inLength: Int, timeout: Duration) -> EmulatedUSBResponse {
        guard isConnected else { return .disconnected }
        guard hasEndpoint(endpoint) else { return .stall }
        if state.withLock({ $0.halted.contains(endpoint) }) { return .stall }
        guard let function else { return .stall }
        return endpoint & 0x80 != 0
            ? function.bulkIn(endpoint: endpoint, maxLength: inLength, timeout: timeout, device: self)
            : function.bulkOut(endpoint: endpoint, data: out, device: self)
    }

    /// Gives back bytes a cancelled bulk IN took (see `EmulatedUSBFunction.returnUnread`).
    public func returnUnread(endpoint: UInt8, data: [UInt8]) {
        function?.returnUnread(endpoint: endpoint, data: data, device: self)
    }

    /// Halts an endpoint (as a device does on a protocol error) until the host clears it.
    public func halt(endpoint: UInt8) { state.withLock { _ = $0.halted.insert(endpoint) } }

    /// Endpoints of the active configuration's selected alternate settings.
    public func hasEndpoint(_ address: UInt8) -> Bool {
        let (value, alternates) = state.withLock { ($0.configuration, $0.alternates) }
        guard let configuration = configurations.first(where: { $0.value == value }) else { return false }
        return configuration.interfaces.contains { interface in
            let alternate = alternates[interface.number] ?? 0
            return interface.settings.first { $0.alternateSetting == alternate }?.endpoints.contains { $0.address == address } ?? false
        }
    }

    private func standard(_ setup: USBSetupPacket, data: [UInt8]) -> EmulatedUSBResponse? {
        typealias R = USBSetupPacket.StandardRequest
        switch R(rawValue: setup.request) {
        case .getDescriptor:
            return getDescriptor(type: UInt8(setup.value >> 8), index: UInt8(truncatingIfNeeded: setup.value), length: Int(setup.length))
        case .getConfiguration:
            return .data([activeConfiguration])
        case .setConfiguration:
            let value = UInt8(truncatingIfNeeded: setup.value)
            guard value == 0 || configurations.contains(where: { $0.value == value }) else { return .stall }
            state.withLock { $0.configuration = value; $0.alternates = [:]; $0.halted = [] }
            return .accepted(0)
        case .setInterface:
            let interface = UInt8(truncatingIfNeeded: setup.index), alternate = UInt8(truncatingIfNeeded: setup.value)
            let exists = configurations.first { $0.value == activeConfiguration }?.interfaces
                .first { $0.number == interface }?.settings.contains { $0.alternateSetting == alternate } ?? false
            guard exists else { return .stall }
            state.withLock { $0.alternates[interface] = alternate }
            return .accepted(0)
        case .getInterface:
            return .data([state.withLock { $0.alternates[UInt8(truncatingIfNeeded: setup.index)] ?? 0 }])
        case .getStatus:
            return .data([0, 0])
        case .clearFeature:
            if setup.recipient == .endpoint && setup.value == 0 {
                state.withLock { _ = $0.halted.remove(UInt8(truncatingIfNeeded: setup.index)) }
            }
            return .accepted(0)
        case .setFeature, .setAddress, .setDescriptor, .none:
            return nil
        }
    }

    private func getDescriptor(type: UInt8, index: UInt8, length: Int) -> EmulatedUSBResponse {
        let bytes: [UInt8]?
        switch USBDescriptorType(rawValue: type) {
        case .device: bytes = deviceDescriptorBytes
        case .configuration: bytes = configurationBytes(index: Int(index))
        case .string:
            bytes = index == 0 ? USBDescriptorEncoder.languages([0x0409]) : strings[index].map(USBDescriptorEncoder.string)
        default: bytes = nil
        }
        guard let bytes else { return .stall }
        return .data(Array(bytes.prefix(length)))
    }
}
