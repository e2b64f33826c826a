import Logging

/// A tap that logs every transfer and its outcome at trace level (`--verbose` / `PINION_USB_TRACE`).
public struct USBTraceTap: USBTap {
    private let logger: Logger

    public init(logger: Logger) { self.logger = logger }

    public func didPerform(_ transfer: USBTransfer, on device: USBDeviceInfo, outcome: Result<USBTransferResult, USBError>) {
        switch outcome {
        case .success(let result):
            logger.trace("\(device.location.path) \(transfer) -> \(result.transferred) bytes")
        case .failure(let error):
            logger.trace("\(device.location.path) \(transfer) -> \(error.code.libusbName)")
        }
    }
}
