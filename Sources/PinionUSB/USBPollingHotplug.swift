/// Hotplug by comparing device lists: for hosts without event notification.
///
/// Works over any `USBHost`, so it is tested against the emulator.
public struct USBPollingHotplug: Sendable {
    public let host: any USBHost
    public let interval: Duration

    public init(host: any USBHost, interval: Duration) {
        self.host = host
        self.interval = interval
    }

    /// Events from comparing successive lists; a device that moved to a new address counts as left and arrived.
    public func events(includeExisting: Bool) -> AsyncStream<USBHotplugEvent> {
        let host = self.host
        let interval = self.interval
        return AsyncStream { continuation in
            let task = Task {
                var known: [USBDeviceLocation: USBDeviceInfo] = [:]
                var first = true
                while !Task.isCancelled {
                    if let current = try? host.devices(readStrings: false) {
                        let now = Dictionary(current.map { ($0.location, $0) }, uniquingKeysWith: { a, _ in a })
                        for (location, info) in known.sorted(by: { $0.key < $1.key }) where now[location] == nil {
                            continuation.yield(.left(location, info.id))
                        }
                        for info in current where known[info.location] == nil && (!first || includeExisting) {
                            continuation.yield(.arrived(info))
                        }
                        known = now
                        first = false
                    }
                    try? await Task.sleep(for: interval)
                }
                continuation.finish()
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }
}
