import PinionSystem
import PinionUSB

/// A catalogued board arriving or leaving, as the controller reports it.
public enum BoardEvent: Sendable, Hashable {
    case attached(AttachedDevice)
    case detached(AttachedDevice)
}

/// Turns a host's hotplug stream into board events: identifies arrivals (reading their strings)
/// and remembers them so a departure names the board that left. Unknown devices are ignored.
public struct BoardMonitor: Sendable {
    public let inventory: BoardInventory
    public let host: any USBHost

    public init(inventory: BoardInventory, host: any USBHost) {
        self.inventory = inventory
        self.host = host
    }

    /// Board events from now on; with `includeExisting`, an `.attached` for each board already present.
    public func events(includeExisting: Bool) throws -> AsyncStream<BoardEvent> {
        let hotplug = try host.hotplugEvents(includeExisting: includeExisting)
        let inventory = self.inventory
        let host = self.host
        return AsyncStream { continuation in
            let task = Task {
                var present: [USBDeviceLocation: AttachedDevice] = [:]
                for await event in hotplug {
                    switch event {
                    case .arrived(var info):
                        guard inventory.catalogue.match(info.id, product: nil) != nil else { continue }
                        // Opening a device and reading its strings are control transfers that can block for
                        // their timeout: they run on a thread of their own, not on the cooperative pool.
                        let location = info.location
                        info.strings = try? await BlockingCall.run("strings of \(location)") { () throws -> USBDeviceStrings? in
                            guard let opened = try? host.open(location) else { return nil }
                            defer { opened.close() }
                            return try opened.readStrings()
                        }
                        let device = inventory.identify(info)
                        guard device.isKnown else { continue }
                        present[info.location] = device
                        continuation.yield(.attached(device))
                    case .left(let location, _):
                        if let device = present.removeValue(forKey: location) {
                            continuation.yield(.detached(device))
                        }
                    }
                }
                continuation.finish()
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }
}
