import Foundation
import PinionBoards
import PinionFirmware
import PinionUSB

/// An image file made ready to flash: read, its format recognised, its signature checked against
/// the trust store; per board, checked for target ids and downgrade before anything is written.
struct FlashImage {
    let image: FirmwareImage
    let trustStore: FirmwareTrustStore
    let policy: FirmwarePolicy

    /// Where trusted keys live: `--trust-store`, else `$PINION_TRUST_STORE`, else the gateway
    /// configuration's `[firmware] trust_store`, else `/etc/pinion/trusted-keys`.
    static func trustStoreDirectory(explicit: String?, configured: String? = nil) -> String {
        explicit ?? ProcessInfo.processInfo.environment["PINION_TRUST_STORE"].flatMap { $0.isEmpty ? nil : $0 }
            ?? configured ?? "/etc/pinion/trusted-keys"
    }

    /// The trust store: a missing default directory means no keys are installed (nothing is
    /// trusted); a directory named explicitly (`--trust-store`, `[firmware] trust_store`) must exist.
    static func trustStore(explicit: String?, configured: String? = nil) throws -> FirmwareTrustStore {
        let directory = trustStoreDirectory(explicit: explicit, configured: configured)
        if explicit == nil && directory != configured && !FileManager.default.fileExists(atPath: directory) {
            return FirmwareTrustStore(keys: [], directory: directory)
        }
        return try FirmwareTrustStore.load(directory: directory)
    }

    /// Loads the image (refused unread when larger than `catalogue`'s largest flash) and the trust
    /// store; the signature verdict is the same for every board.
    static func load(path: String, catalogue: BoardCatalogue, trustStore explicit: String?, configuredTrustStore: String? = nil,
                     policy: FirmwarePolicy) throws -> FlashImage {
        FlashImage(image: try FirmwareImage.load(path: path, limit: .largestFlash(in: catalogue)),
                   trustStore: try trustStore(explicit: explicit, configured: configuredTrustStore),
                   policy: policy)
    }

    /// The file-size limit for the offline commands: from the catalogue found as `pinion list`
    /// finds it (`$PINION_BOARDS`, the shipped boards, /etc/pinion/boards); the 32-bit address
    /// space when no catalogue loads.
    static func offlineLimit() -> FirmwareFileLimit {
        (try? BoardCatalogue.load(directories: BoardCatalogue.searchPath(explicit: nil))).map(FirmwareFileLimit.largestFlash(in:))
            ?? .addressSpace
    }

    /// Checks the image against one board: target ids from its DFU suffix, signature, downgrade.
    /// Returns what was overridden (each line starts with the flag that allowed it).
    func check(for device: AttachedDevice, board: BoardDescriptor) throws -> [String] {
        if let bootloader = board.bootloader?.id {
            try image.checkTarget(bootloader)
        }
        let installed: InstalledFirmware? = device.mode == .runtime ? ImageVersion(device.deviceVersion).map { InstalledFirmware(version: $0) } : nil
        do {
            return try policy.evaluate(image, trustStore: trustStore, installed: installed).overrides
        } catch {
            throw CommandError("\(device.serial ?? device.path): \(error)")
        }
    }

    /// What a technician reads before the flash starts.
    var summary: String {
        var parts = ["\(image.name): \(image.format)", "\(FlashProgressReporter.size(image.downloadSize))"]
        if let version = image.version { parts.append("version \(version)") }
        if let counter = image.securityCounter { parts.append("security counter \(counter)") }
        if case .verified(let key) = image.signatureStatus(trustStore: trustStore) { parts.append("signed by \(key)") }
        return parts.joined(separator: ", ")
    }
}
