import PinionSystem

extension USBDevice {
    /// Runs synchronous transfers on this device off the concurrency pool:
    /// `try await device.offload { try $0.bulkRead(endpoint: 0x81, length: 64, timeout: .seconds(5)) }`.
    public func offload<T: Sendable>(_ body: @escaping @Sendable (USBDevice) throws -> T) async throws(USBError) -> T {
        do {
            return try await BlockingCall.run("usb \(name)") { [self] in try body(self) }
        } catch let error as USBError {
            throw error
        } catch {
            throw USBError(.other, operation: "transfer", device: name, detail: "\(error)")
        }
    }
}
