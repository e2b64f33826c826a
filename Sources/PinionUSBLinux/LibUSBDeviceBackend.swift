import CLibUSB
import Glibc
import PinionUSB
import Synchronization

/// An open `libusb_device_handle`. Transfers run concurrently (a bulk IN may wait while a
/// bulk OUT goes out); `HandleLease` keeps the handle alive until the last one returns.
final class LibUSBDeviceBackend: USBDeviceBackend, @unchecked Sendable {
    private let handle: HandleLease
    private let context: LibUSBContext
    private let name: String

    /// Opens `device`: its usbfs node opened here and wrapped by libusb where that works, so
    /// control transfers can skip libusb's event machinery; otherwise libusb's own open.
    init(device: OpaquePointer, context: LibUSBContext, name: String) throws(USBError) {
        self.context = context
        self.name = name
        var opened: OpaquePointer?
        var file = USBFSFile.open(bus: libusb_get_bus_number(device), address: libusb_get_device_address(device))
        if let wrapped = file, libusb_wrap_sys_device(context.pointer, Int(wrapped.descriptor), &opened) != 0 {
            wrapped.close()
            file = nil
        }
        if file == nil {
            try LibUSBCall.check("open", device: name, libusb_open(device, &opened))
        }
        guard let opened else {
            file?.close()
            throw USBError(.other, operation: "open", device: name)
        }
        _ = libusb_set_auto_detach_kernel_driver(opened, 1)
        handle = HandleLease(opened, file: file)
    }

    private func withHandle<T>(_ operation: @autoclosure () -> String, _ body: (OpaquePointer) -> Int32,
                               result: (Int32) -> T) throws(USBError) -> T {
        let code: Int32? = handle.use(body)
        guard let code else { throw USBError(.noDevice, operation: operation(), device: name, detail: "(device was closed)") }
        _ = try LibUSBCall.check(operation(), device: name, code)
        return result(code)
    }

    func claimInterface(_ number: UInt8) throws {
        try withHandle("claim interface \(number)", { libusb_claim_interface($0, Int32(number)) }, result: { _ in })
    }

    func releaseInterface(_ number: UInt8) throws {
        try withHandle("release interface \(number)", { libusb_release_interface($0, Int32(number)) }, result: { _ in })
    }

    func setAlternateSetting(interface: UInt8, alternate: UInt8) throws {
        try withHandle("set interface \(interface) alt \(alternate)",
                       { libusb_set_interface_alt_setting($0, Int32(interface), Int32(alternate)) }, result: { _ in })
    }

    func setConfiguration(_ value: UInt8) throws {
        try withHandle("set configuration \(value)", { libusb_set_configuration($0, Int32(value)) }, result: { _ in })
    }

    func clearHalt(endpoint: UInt8) throws {
        try withHandle("clear halt", { libusb_clear_halt($0, endpoint) }, result: { _ in })
    }

    func reset() throws {
        // LIBUSB_ERROR_NOT_FOUND here means the device re-enumerated as another device: expected after DFU detach.
        try withHandle("reset", { libusb_reset_device($0) }, result: { _ in })
    }

    func perform(_ transfer: USBTransfer) throws -> USBTransferResult {
        let timeout = LibUSBCall.milliseconds(transfer.timeout)
        let isIn = transfer.direction == .in
        var buffer = isIn ? [UInt8](repeating: 0, count: transfer.inLength) : transfer.outData
        switch transfer.pipe {
        case .control(let setup):
            // Control transfers of up to a page go to the kernel directly when Pinion opened the file.
            if let usbfs = handle.file, buffer.count <= USBFSFile.largestControlTransfer {
                return try controlThroughKernel(usbfs, setup, buffer: &buffer, isIn: isIn, timeout: timeout, operation: transfer.operation)
            }
            guard isIn else {
                // libusb copies OUT data into its own setup buffer: hand it the caller's bytes, no copy.
                let count = try transfer.outData.withUnsafeBufferPointer { data throws(USBError) in
                    try withHandle(transfer.operation, {
                        libusb_control_transfer($0, setup.requestType, setup.request, setup.value, setup.index,
                                                UnsafeMutablePointer(mutating: data.baseAddress), UInt16(data.count), timeout)
                    }, result: { Int($0) })
                }
                return .wrote(count)
            }
            let count = try buffer.withUnsafeMutableBufferPointer { data throws(USBError) in
                try withHandle(transfer.operation, {
                    libusb_control_transfer($0, setup.requestType, setup.request, setup.value, setup.index,
                                            data.baseAddress, UInt16(data.count), timeout)
                }, result: { Int($0) })
            }
            buffer.removeSubrange(count...)
            return .read(buffer)
        case .bulk(let endpoint), .interrupt(let endpoint):
            var transferred: Int32 = 0
            let isBulk = if case .bulk = transfer.pipe { true } else { false }
            let code: Int32? = buffer.withUnsafeMutableBufferPointer { data in
                handle.use {
                    isBulk
                        ? libusb_bulk_transfer($0, endpoint, data.baseAddress, Int32(data.count), &transferred, timeout)
                        : libusb_interrupt_transfer($0, endpoint, data.baseAddress, Int32(data.count), &transferred, timeout)
                }
            }
            guard let code else { throw USBError(.noDevice, operation: transfer.operation, device: name, detail: "(device was closed)") }
            // An IN that timed out after some packets came has taken them off the device: they are
            // returned, not thrown away (a stream reader would otherwise lose part of a frame).
            if code == Int32(LIBUSB_ERROR_TIMEOUT.rawValue), isIn, transferred > 0 {
                return .read(Array(buffer.prefix(Int(transferred))))
            }
            if code < 0 {
                let partial = transferred > 0 ? "; \(transferred) bytes got through" : ""
                throw USBError(libusbCode: code, operation: transfer.operation, device: name,
                               detail: code == Int32(LIBUSB_ERROR_TIMEOUT.rawValue) ? "after \(timeout) ms" + partial : partial.isEmpty ? nil : String(partial.dropFirst(2)))
            }
            return isIn ? .read(Array(buffer.prefix(Int(transferred)))) : .wrote(Int(transferred))
        }
    }

    /// A control transfer as one `USBDEVFS_CONTROL` system call on the file libusb also uses.
    /// `buffer` is the space to read into (IN) or the data to send (OUT, which the kernel only reads).
    private func controlThroughKernel(_ usbfs: USBFSFile, _ setup: USBSetupPacket, buffer: inout [UInt8], isIn: Bool,
                                      timeout: UInt32, operation: String) throws(USBError) -> USBTransferResult {
        let name = name
        let send = { (data: UnsafeMutableRawPointer?, count: Int) -> Result<Int, USBError>? in
            self.handle.use { _ in
                Result { () throws(USBError) in
                    try usbfs.control(setup, data: data, length: count, timeoutMilliseconds: timeout, operation: operation, device: name)
                }
            }
        }
        let outcome = isIn
            ? buffer.withUnsafeMutableBytes { send($0.baseAddress, $0.count) }
            : buffer.withUnsafeBytes { send(UnsafeMutableRawPointer(mutating: $0.baseAddress), $0.count) }
        guard let outcome else { throw USBError(.noDevice, operation: operation, device: name, detail: "(device was closed)") }
        let count = try outcome.get()
        guard isIn else { return .wrote(count) }
        buffer.removeSubrange(count...)
        return .read(buffer)
    }

    func close() {
        handle.close()
    }

    deinit { close() }
}

/// A handle that many transfers may use at once and that is closed only after the last one ends,
/// together with the usbfs file it wraps, if Pinion opened one.
final class HandleLease: @unchecked Sendable {
    private struct State: @unchecked Sendable {
        var handle: OpaquePointer?
        var users = 0
    }

    private let state: Mutex<State>
    /// The usbfs file the handle wraps, when Pinion opened it (closed with the handle).
    let file: USBFSFile?

    init(_ handle: OpaquePointer, file: USBFSFile?) {
        state = Mutex(State(handle: handle))
        self.file = file
    }

    /// Runs `body` with the handle, or returns nil if it was closed.
    func use<T>(_ body: (OpaquePointer) -> T) -> T? {
        let handle: OpaquePointer? = state.withLock { state in
            guard let handle = state.handle else { return nil }
            state.users += 1
            return handle
        }
        guard let handle else { return nil }
        defer { state.withLock { $0.users -= 1 } }
        return body(handle)
    }

    /// Stops new users, waits for current ones (their transfers end by timeout at the latest), closes.
    func close() {
        guard let handle = state.withLock({ state -> OpaquePointer? in
            defer { state.handle = nil }
            return state.handle
        }) else { return }
        while state.withLock({ $0.users }) > 0 { usleep(1_000) }
        libusb_close(handle)
        file?.close()
    }
}
