/// A USB failure, typed after libusb's error codes and carrying where it happened.
///
/// Hardware faults are expected events: a board unplugged mid-transfer is `.noDevice`,
/// a request the device refuses is `.stall`, a device that does not answer is `.timeout`.
public struct USBError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The kind of failure. Raw values are libusb's `enum libusb_error`.
    public enum Code: Int32, Sendable, CaseIterable {
        /// Input/output error. The corresponding libusb code is LIBUSB_ERROR_IO.
        case io = -1
        /// Invalid parameter. LIBUSB_ERROR_INVALID_PARAM.
        case invalidParameter = -2
        /// Access denied (insufficient permissions). LIBUSB_ERROR_ACCESS.
        case accessDenied = -3
        /// No such device (it may have been disconnected). LIBUSB_ERROR_NO_DEVICE.
        case noDevice = -4
        /// Entity not found. LIBUSB_ERROR_NOT_FOUND.
        case notFound = -5
        /// Resource busy (interface claimed by another driver or process). LIBUSB_ERROR_BUSY.
        case busy = -6
        /// Operation timed out. LIBUSB_ERROR_TIMEOUT.
        case timeout = -7
        /// The device sent more data than asked for. LIBUSB_ERROR_OVERFLOW.
        case overflow = -8
        /// Pipe error: the endpoint or control request stalled. LIBUSB_ERROR_PIPE.
        case stall = -9
        /// System call interrupted. LIBUSB_ERROR_INTERRUPTED.
        case interrupted = -10
        /// Insufficient memory. LIBUSB_ERROR_NO_MEM.
        case noMemory = -11
        /// Operation not supported or unimplemented on this platform. LIBUSB_ERROR_NOT_SUPPORTED.
        case notSupported = -12
        /// Other error. LIBUSB_ERROR_OTHER.
        case other = -99

        /// libusb's name for the code, as `libusb_error_name` prints it.
        public var libusbName: String {
            switch self {
            case .io: "LIBUSB_ERROR_IO"
            case .invalidParameter: "LIBUSB_ERROR_INVALID_PARAM"
            case .accessDenied: "LIBUSB_ERROR_ACCESS"
            case .noDevice: "LIBUSB_ERROR_NO_DEVICE"
            case .notFound: "LIBUSB_ERROR_NOT_FOUND"
            case .busy: "LIBUSB_ERROR_BUSY"
            case .timeout: "LIBUSB_ERROR_TIMEOUT"
            case .overflow: "LIBUSB_ERROR_OVERFLOW"
            case .stall: "LIBUSB_ERROR_PIPE"
            case .interrupted: "LIBUSB_ERROR_INTERRUPTED"
            case .noMemory: "LIBUSB_ERROR_NO_MEM"
            case .notSupported: "LIBUSB_ERROR_NOT_SUPPORTED"
            case .other: "LIBUSB_ERROR_OTHER"
            }
        }

        var summary: String {
            switch self {
            case .io: "I/O error"
            case .invalidParameter: "invalid parameter"
            case .accessDenied: "permission denied"
            case .noDevice: "device is gone (unplugged or reset)"
            case .notFound: "not found"
            case .busy: "busy (claimed by another driver or process)"
            case .timeout: "timed out"
            case .overflow: "device sent more data than requested"
            case .stall: "stalled (the device refused the request)"
            case .interrupted: "interrupted"
            case .noMemory: "out of memory"
            case .notSupported: "not supported"
            case .other: "failed"
            }
        }

        var advice: String? {
            switch self {
            case .accessDenied: "install udev/70-pinion.rules and add the user to group 'pinion' (see README)"
            case .busy: "another process or kernel driver holds it; stop it or let Pinion detach the kernel driver"
            case .noDevice: "check the cable and run 'pinion list'"
            default: nil
            }
        }
    }

    public var code: Code
    /// What was being done, e.g. `control transfer` or `open`.
    public var operation: String
    /// Which device, e.g. `1-1.2 (1209:0002)`, when known.
    public var device: String?
    /// Extra facts, e.g. `after 1000 ms`.
    public var detail: String?

    public init(_ code: Code, operation: String, device: String? = nil, detail: String? = nil) {
        self.code = code
        self.operation = operation
        self.device = device
        self.detail = detail
    }

    /// Maps a libusb return code; unknown negative codes become `.other`.
    public init(libusbCode: Int32, operation: String, device: String? = nil, detail: String? = nil) {
        self.init(Code(rawValue: libusbCode) ?? .other, operation: operation, device: device, detail: detail)
    }

    public var description: String {
        var text = "USB \(operation)"
        if let device { text += " on \(device)" }
        text += ": \(code.summary)"
        if let detail { text += " \(detail)" }
        text += " (\(code.libusbName))"
        if let advice = code.advice { text += "; \(advice)" }
        return text
    }

    /// The same error with the device named, if it was not already.
    public func on(_ device: String) -> USBError {
        var copy = self
        if copy.device == nil { copy.device = device }
        return copy
    }
}
