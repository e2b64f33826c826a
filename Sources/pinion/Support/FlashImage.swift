import Foundation
import PinionFirmware

/// An image file made ready to flash: read, its format recognised, checked against the trust policy.
struct FlashImage {
    /// The bytes to download (any DFU suffix stripped).
    var payload: [UInt8]
    var suffix: DFUSuffix?

    static func load(path: String, allowUnsigned: Bool) throws -> FlashImage {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw CommandError("cannot read image \(path): no such file or no permission")
        }
        let bytes = [UInt8](data)
        if DfuSeFile.hasPrefix(bytes) {
            throw CommandError("\(path) is a DfuSe file: flash it onto an STM32 bootloader board (DfuSe download is not built yet)")
        }
        let (payload, suffix) = try DFUSuffix.split(bytes, name: path)
        guard allowUnsigned else {
            throw CommandError("\(path): signature checking is not built yet, so only --allow-unsigned flashes are possible")
        }
        return FlashImage(payload: payload, suffix: suffix)
    }
}
