import PinionUSB

/// Where a board speaks the board protocol: the vendor-specific interface (class 0xFF) with one
/// bulk OUT and one bulk IN endpoint, as its descriptors say. Addresses are read, not assumed: a
/// board built on a USB device controller gets the endpoints its controller assigns (the Linux
/// gadget stack on `dummy_hcd` gives bulk OUT 0x02, for one).
public struct BoardEndpoints: Sendable, Hashable {
    public var interface: UInt8
    public var out: UInt8
    public var `in`: UInt8

    public init(interface: UInt8 = 0, out: UInt8 = 0x01, in: UInt8 = 0x81) {
        self.interface = interface
        self.out = out
        self.in = `in`
    }

    /// The first vendor interface setting with a bulk endpoint each way; nil when there is none.
    public init?(of info: USBDeviceInfo) {
        for setting in info.interfaceSettings where setting.interfaceClass == 0xFF && setting.alternateSetting == 0 {
            let bulk = setting.endpoints.filter { $0.transferType == .bulk }
            guard let out = bulk.first(where: { $0.address & 0x80 == 0 }), let inward = bulk.first(where: { $0.address & 0x80 != 0 }) else {
                continue
            }
            self.init(interface: setting.interfaceNumber, out: out.address, in: inward.address)
            return
        }
        return nil
    }
}
