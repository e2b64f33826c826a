import CLibUSB
import Foundation
import PinionUSB
import Synchronization

/// Owns one `libusb_context` and, once hotplug is used, the thread that runs libusb's event loop.
///
/// Thread-safe: libusb contexts may be used from any thread; the mutable parts here are behind a Mutex.
final class LibUSBContext: @unchecked Sendable {
    let pointer: OpaquePointer
    private let eventThread = Mutex<Thread?>(nil)
    private let stopping = StopFlag()
    private let hotplugBoxes = Mutex<[HotplugBox]>([])

    init(debug: Bool) throws(USBError) {
        var context: OpaquePointer?
        try LibUSBCall.check("initialise libusb", libusb_init(&context))
        guard let context else { throw USBError(.other, operation: "initialise libusb") }
        pointer = context
        let level = debug ? LIBUSB_LOG_LEVEL_DEBUG : LIBUSB_LOG_LEVEL_NONE
        _ = pinion_libusb_set_option_int(context, LIBUSB_OPTION_LOG_LEVEL, Int32(level.rawValue))
    }

    var hasHotplug: Bool { libusb_has_capability(UInt32(LIBUSB_CAP_HAS_HOTPLUG.rawValue)) != 0 }

    /// Starts the event thread if it is not running yet. Hotplug callbacks are delivered on it.
    func startEventThread() {
        eventThread.withLock { thread in
            guard thread == nil else { return }
            let context = SendablePointer(pointer)
            let stopping = self.stopping
            let started = Thread {
                var timeout = timeval(tv_sec: 0, tv_usec: 250_000)
                while !stopping.isSet {
                    _ = libusb_handle_events_timeout_completed(context.raw, &timeout, nil)
                }
            }
            started.name = "pinion-libusb-events"
            started.start()
            thread = started
        }
    }

    /// Keeps a callback's box alive for as long as libusb might call it.
    func retain(_ box: HotplugBox) {
        hotplugBoxes.withLock { $0.append(box) }
    }

    deinit {
        stopping.set()
        for box in hotplugBoxes.withLock({ $0 }) { box.deregister(context: pointer) }
        // libusb_exit waits for nothing; give the event loop one timeout period to notice the flag.
        if eventThread.withLock({ $0 }) != nil { Thread.sleep(forTimeInterval: 0.3) }
        libusb_exit(pointer)
    }
}

/// A flag the event thread polls to know when to stop.
final class StopFlag: Sendable {
    private let value = Atomic<Bool>(false)
    var isSet: Bool { value.load(ordering: .acquiring) }
    func set() { value.store(true, ordering: .releasing) }
}

/// A libusb pointer handed to another thread; libusb contexts are thread-safe.
struct SendablePointer: @unchecked Sendable {
    let raw: OpaquePointer
    init(_ raw: OpaquePointer) { self.raw = raw }
}
