import Foundation
import PinionUSB
import Synchronization

/// A USB host whose devices are emulated in-process: plug, unplug and re-enumerate them
/// at will. Conforms to `USBHost`, so `pinion list`, hotplug watching and flashing run on
/// it through exactly the code they use on libusb.
public final class EmulatedUSBHost: USBHost {
    private struct Attached {
        var device: EmulatedUSBDevice
        var location: USBDeviceLocation
    }

    private struct State {
        var attached: [USBPortPath: Attached] = [:]
        var nextAddress: UInt8 = 2
        var subscribers: [UUID: AsyncStream<USBHotplugEvent>.Continuation] = [:]
    }

    public let bus: UInt8
    private let taps: [any USBTap]
    private let state = Mutex(State())

    public init(bus: UInt8 = 1, taps: [any USBTap] = []) {
        self.bus = bus
        self.taps = taps
    }

    /// Plugs `device` into `ports` (hub port chain below the root hub); returns where it enumerated.
    /// As the Linux hub driver does, the first configuration is selected on enumeration.
    @discardableResult
    public func attach(_ device: EmulatedUSBDevice, ports: [UInt8]) -> USBDeviceLocation {
        if let first = device.configurations.first {
            _ = device.control(USBSetupPacket(direction: .out, kind: .standard, recipient: .device,
                                              request: USBSetupPacket.StandardRequest.setConfiguration.rawValue,
                                              value: UInt16(first.value)))
        }
        let port = USBPortPath(bus: bus, ports: ports)
        let (location, subscribers, replaced) = state.withLock { state in
            let replaced = state.attached[port]
            let location = USBDeviceLocation(bus: bus, ports: ports, address: state.nextAddress)
            state.nextAddress = state.nextAddress == 127 ? 2 : state.nextAddress + 1
            state.attached[port] = Attached(device: device, location: location)
            return (location, Array(state.subscribers.values), replaced)
        }
        if let replaced {
            replaced.device.disconnect()
            for subscriber in subscribers { subscriber.yield(.left(replaced.location, replaced.device.descriptor.id)) }
        }
        let info = self.info(device, at: location)
        for subscriber in subscribers { subscriber.yield(.arrived(info)) }
        return location
    }

    /// Unplugs whatever is on `ports`; open handles to it fail with `.noDevice` from now on.
    @discardableResult
    public func detach(ports: [UInt8]) -> EmulatedUSBDevice? {
        let port = USBPortPath(bus: bus, ports: ports)
        guard let (removed, subscribers) = state.withLock({ state -> (Attached, [AsyncStream<USBHotplugEvent>.Continuation])? in
            guard let removed = state.attached.removeValue(forKey: port) else { return nil }
            return (removed, Array(state.subscribers.values))
        }) else { return nil }
        removed.device.disconnect()
        for subscriber in subscribers { subscriber.yield(.left(removed.location, removed.device.descriptor.id)) }
        return removed.device
    }

    /// The device on `ports`, if any.
    public func device(at ports: [UInt8]) -> EmulatedUSBDevice? {
        state.withLock { $0.attached[USBPortPath(bus: bus, ports: ports)]?.device }
    }

    public func devices(readStrings: Bool) throws -> [USBDeviceInfo] {
        let attached = state.withLock { Array($0.attached.values) }
        return attached.map { entry in
            var info = self.info(entry.device, at: entry.location)
            if readStrings {
                do {
                    let opened = try open(entry.location)
                    defer { opened.close() }
                    info.strings = try opened.readStrings()
                } catch let error as USBError where error.code == .accessDenied {
                    info.stringsProblem = "no permission to open \(entry.location.path) (install udev/70-pinion.rules, join group pinion)"
                } catch {
                    info.stringsProblem = "\(error)"
                }
            }
            return info
        }.sorted { $0.location < $1.location }
    }

    public func open(_ location: USBDeviceLocation) throws -> USBDevice {
        guard let entry = state.withLock({ $0.attached[location.port] }), entry.location == location else {
            throw USBError(.noDevice, operation: "open", device: location.path)
        }
        if entry.device.isOpenDenied {
            throw USBError(.accessDenied, operation: "open", device: "\(location.path) (\(entry.device.descriptor.id))")
        }
        return USBDevice(info: info(entry.device, at: location), backend: EmulatedDeviceBackend(device: entry.device), taps: taps)
    }

    public func hotplugEvents(includeExisting: Bool) throws -> AsyncStream<USBHotplugEvent> {
        let (stream, continuation) = AsyncStream.makeStream(of: USBHotplugEvent.self, bufferingPolicy: .unbounded)
        let key = UUID()
        let existing = state.withLock { state -> [Attached] in
            state.subscribers[key] = continuation
            return Array(state.attached.values)
        }
        if includeExisting {
            for entry in existing.sorted(by: { $0.location < $1.location }) {
                continuation.yield(.arrived(info(entry.device, at: entry.location)))
            }
        }
        continuation.onTermination = { [weak self] _ in
            _ = self?.state.withLock { $0.subscribers.removeValue(forKey: key) }
        }
        return stream
    }

    /// Ends every hotplug stream, as a host shutting down does.
    public func shutdown() {
        let subscribers = state.withLock { state in
            defer { state.subscribers = [:] }
            return Array(state.subscribers.values)
        }
        for subscriber in subscribers { subscriber.finish() }
    }

    private func info(_ device: EmulatedUSBDevice, at location: USBDeviceLocation) -> USBDeviceInfo {
        // Descriptors go through the same parser as libusb's, from the bytes the device would send.
        var configurations: [USBConfiguration] = []
        var problem: String?
        for index in device.configurations.indices {
            do {
                configurations.append(try USBDescriptorParser.configuration(device.configurationBytes(index: index) ?? []))
            } catch {
                problem = "configuration \(index): \(error)"
            }
        }
        return USBDeviceInfo(location: location, speed: device.speed, descriptor: device.descriptor,
                             configurations: problem == nil ? configurations : [], descriptorProblem: problem)
    }
}
