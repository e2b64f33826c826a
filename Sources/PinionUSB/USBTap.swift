/// Sees every transfer at `USBDevice`'s chokepoint: for tracing, counting and fault injection.
///
/// `willPerform` may throw to fail the transfer before it reaches the device (fault injection);
/// `didPerform` sees each outcome. Taps are called on the transferring thread and must be thread-safe.
public protocol USBTap: Sendable {
    func willPerform(_ transfer: USBTransfer, on device: USBDeviceInfo) throws
    func didPerform(_ transfer: USBTransfer, on device: USBDeviceInfo, outcome: Result<USBTransferResult, USBError>)
}

extension USBTap {
    public func willPerform(_ transfer: USBTransfer, on device: USBDeviceInfo) throws {}
    public func didPerform(_ transfer: USBTransfer, on device: USBDeviceInfo, outcome: Result<USBTransferResult, USBError>) {}
}
