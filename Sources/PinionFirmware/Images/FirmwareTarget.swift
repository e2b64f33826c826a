import PinionUSB

/// The USB device a firmware file says it is for, from its DFU suffix; a nil field matches any device.
///
/// Compare it with the device as it is when the download happens (in DFU mode, e.g. 0483:df11 for
/// the STM32 system bootloader), which is what dfu-util compares. bcdDevice 0xFFFF means any
/// release (DFU 1.1); 0x0000 is treated as "any" too, because dfuse-pack writes 0 there for every
/// file and dfu-util never checks bcdDevice.
public struct FirmwareTarget: Sendable, Hashable, Codable, CustomStringConvertible {
    public var vendor: UInt16?
    public var product: UInt16?
    public var bcdDevice: UInt16?

    public init(vendor: UInt16? = nil, product: UInt16? = nil, bcdDevice: UInt16? = nil) {
        self.vendor = vendor
        self.product = product
        self.bcdDevice = bcdDevice
    }

    public init(suffix: DFUSuffix) {
        vendor = suffix.idVendor == DFUSuffix.any ? nil : suffix.idVendor
        product = suffix.idProduct == DFUSuffix.any ? nil : suffix.idProduct
        bcdDevice = suffix.bcdDevice == DFUSuffix.any || suffix.bcdDevice == 0 ? nil : suffix.bcdDevice
    }

    /// True when nothing is constrained.
    public var isAny: Bool { vendor == nil && product == nil && bcdDevice == nil }

    /// Whether a device with this id (and release, when known) satisfies the constraint.
    public func matches(_ id: USBID, bcdDevice deviceRelease: UInt16? = nil) -> Bool {
        if let vendor, vendor != id.vendor { return false }
        if let product, product != id.product { return false }
        if let bcdDevice, let deviceRelease, bcdDevice != deviceRelease { return false }
        return true
    }

    /// Throws `.wrongTarget` naming both ids when the device does not satisfy the constraint.
    public func check(_ id: USBID, bcdDevice deviceRelease: UInt16? = nil, file: String) throws(FirmwareImageError) {
        guard !matches(id, bcdDevice: deviceRelease) else { return }
        var board = id.description
        if let deviceRelease { board += " (bcdDevice \(Hex.u16(deviceRelease)))" }
        throw FirmwareImageError(.wrongTarget, file: file, section: "DFU suffix",
                                 problem: "the image is for USB \(self), the board is \(board): use the image built for this board")
    }

    /// `1209:0003 (bcdDevice 0x0100)`, with `any` for an open field.
    public var description: String {
        let v = vendor.map(USBID.hex4) ?? "any"
        let p = product.map(USBID.hex4) ?? "any"
        return bcdDevice.map { "\(v):\(p) (bcdDevice \(Hex.u16($0)))" } ?? "\(v):\(p)"
    }
}
