import Foundation
import PinionUSB

/// One FunctionFS function instance (`usb_f_fs`): its filesystem mounted at `mountPoint`, ep0
/// open with descriptors and strings written, and its endpoint files. ep0 carries the events
/// (`FunctionFSEvent`) and the data stages of the control requests passed to user space.
public final class FunctionFSFunction: @unchecked Sendable {
    public let instance: String
    public let mountPoint: String
    /// Set once in `start`, closed in `close`; read from several threads in between.
    private var ep0: Int32 = -1
    private var mountedHere = false

    /// Mounts FunctionFS instance `instance` (the configfs function `ffs.<instance>`) at
    /// `mountPoint` unless something is already mounted there.
    public init(instance: String, mountPoint: String) throws(GadgetError) {
        self.instance = instance
        self.mountPoint = mountPoint
        do {
            try FileManager.default.createDirectory(atPath: mountPoint, withIntermediateDirectories: true)
        } catch {
            throw GadgetError("create mount point", path: mountPoint, hint: "\(error.localizedDescription)")
        }
        if !FileManager.default.fileExists(atPath: mountPoint + "/ep0") {
            guard mount(instance, mountPoint, "functionfs", 0, nil) == 0 else {
                throw GadgetError("mount functionfs \(instance) on", path: mountPoint, errno: errno,
                                  hint: "is the configfs function ffs.\(instance) made and usb_f_fs loaded? (modprobe usb_f_fs)")
            }
            mountedHere = true
        }
    }

    /// Opens ep0 and writes the descriptors and strings; the endpoint files appear then. A kernel
    /// that refuses the class-specific descriptors (FunctionFS before DFU support) is given the
    /// set without them; the return value says which was taken.
    @discardableResult
    public func start(_ descriptors: FunctionFSDescriptors) throws(GadgetError) -> FunctionFSDescriptors {
        let hasClassDescriptors = descriptors.interfaces.contains { !$0.classDescriptors.isEmpty }
        do {
            try take(descriptors)
            return descriptors
        } catch let error where error.errno == EINVAL && hasClassDescriptors {
            try take(descriptors.withoutClassDescriptors)
            return descriptors.withoutClassDescriptors
        }
    }

    /// Opens ep0 and writes `descriptors` and their strings; ep0 stays open once they are taken.
    private func take(_ descriptors: FunctionFSDescriptors) throws(GadgetError) {
        let path = mountPoint + "/ep0"
        let fd = open(path, O_RDWR)
        guard fd >= 0 else { throw GadgetError("open", path: path, errno: errno) }
        for (blob, what) in [(descriptors.descriptorsBlob, "descriptors"), (descriptors.stringsBlob, "strings")] where !writeAll(fd, blob) {
            let code = errno
            Foundation.close(fd)
            throw GadgetError("write \(what) to", path: path, errno: code)
        }
        ep0 = fd
    }

    /// Opens endpoint file `number` (ep1 is the first endpoint in the descriptors, and so on).
    public func openEndpoint(_ number: Int) throws(GadgetError) -> Int32 {
        let path = mountPoint + "/ep\(number)"
        let fd = open(path, O_RDWR)
        guard fd >= 0 else { throw GadgetError("open", path: path, errno: errno) }
        return fd
    }

    /// Blocks until events come; nil when ep0 is closed.
    public func events() -> [FunctionFSEvent]? {
        var buffer = [UInt8](repeating: 0, count: FunctionFSEvent.size * 4)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(ep0, $0.baseAddress!, $0.count) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { return nil }
            return FunctionFSEvent.parse(Array(buffer[0..<count]))
        }
    }

    /// Answers an IN request with `bytes` (its data stage).
    public func reply(_ bytes: [UInt8]) {
        _ = bytes.withUnsafeBytes { write(ep0, $0.baseAddress ?? UnsafeRawPointer(bitPattern: 1)!, $0.count) }
    }

    /// Takes an OUT request's data stage (`length` bytes; 0 acknowledges a request without data).
    public func receive(length: Int) -> [UInt8]? {
        var buffer = [UInt8](repeating: 0, count: max(length, 1))
        let count = buffer.withUnsafeMutableBytes { read(ep0, $0.baseAddress!, length) }
        return count < 0 ? nil : Array(buffer[0..<count])
    }

    /// Stalls the pending request: FunctionFS stalls when ep0 is used against its direction.
    public func stall(_ setup: USBSetupPacket) {
        if setup.direction == .in {
            var byte: UInt8 = 0
            _ = read(ep0, &byte, 0)
        } else {
            _ = write(ep0, [UInt8](), 0)
        }
    }

    /// Closes ep0 (the function is gone from the gadget until started again) and unmounts what
    /// this instance mounted.
    public func close() {
        if ep0 >= 0 { Foundation.close(ep0); ep0 = -1 }
        if mountedHere { _ = umount2(mountPoint, Int32(MNT_DETACH)); mountedHere = false }
    }

    private func writeAll(_ fd: Int32, _ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBytes { write(fd, $0.baseAddress!, $0.count) } == bytes.count
    }
}
