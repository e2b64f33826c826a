import PinionFirmware
import PinionUSB

extension FuzzTarget {
    /// A firmware file as `pinion firmware inspect` and `pinion flash` take it: `FirmwareImage.load`
    /// (format detection; raw, DFU suffix, DfuSe, MCUboot), then what is done with a loaded image:
    /// the target check, the inspection report with signature checking against a trust store that
    /// holds the test fixtures' key, and the flashing policy.
    static let firmwareImages = FuzzTarget(name: "firmware-images",
                                           summary: "FirmwareImage.load, inspect(trustStore:), checkTarget, FirmwarePolicy.evaluate") { bytes in
        guard let image = try? FirmwareImage.load(bytes, name: "fuzz.img") else { return }
        _ = image.inspect(trustStore: FirmwareFuzzing.trustStore)
        try? image.checkTarget(USBID(vendor: 0x1209, product: 0x0002), bcdDevice: 0x0100)
        _ = try? FirmwarePolicy().evaluate(image, trustStore: FirmwareFuzzing.trustStore, installed: FirmwareFuzzing.installed)
    }
}

enum FirmwareFuzzing {
    /// The public half of Tests/PinionFirmwareTests/Fixtures/test-ed25519.pem, which signed the signed fixtures.
    static let trustStore = FirmwareTrustStore(keys: [
        try! FirmwarePublicKey(hex: "d04ab232742bb4ab3a1368bd4615e4e6d0224ab71a016baf8520a332c9778737", name: "test-ed25519"),
    ])
    /// Installed firmware to compare versions and security counters with.
    static let installed = InstalledFirmware(version: ImageVersion(major: 1, minor: 2, revision: 0, build: 0), securityCounter: 4)
}
