import Foundation
import PinionBoards
import PinionFirmware

/// The firmware check of `pinion diag`: the board's firmware version against the newest image for
/// it in a firmware directory, and whether that image is signed by a key of the trust store.
struct DiagFirmware {
    /// One readable image of the directory, with its version.
    struct Candidate {
        var path: String
        var image: FirmwareImage
        var version: ImageVersion
    }

    let directory: String
    let candidates: [Candidate]
    let trustStore: FirmwareTrustStore

    /// Reads every file of `directory` that is a firmware image with a version (MCUboot); other
    /// files are passed over. A directory that cannot be listed is an error naming it.
    init(directory: String, trustStore: FirmwareTrustStore, limit: FirmwareFileLimit) throws {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: directory).sorted()
        } catch {
            throw CommandError("--firmware-dir \(directory): cannot list it (\((error as NSError).localizedDescription))")
        }
        self.directory = directory
        self.trustStore = trustStore
        candidates = names.compactMap { name in
            let path = (directory as NSString).appendingPathComponent(name)
            guard let image = try? FirmwareImage.load(path: path, limit: limit), let version = image.version else { return nil }
            return Candidate(path: path, image: image, version: version)
        }
    }

    /// The check for a board in run-time mode reporting `deviceVersion` (bcdDevice, `1.02`).
    func check(deviceVersion: String, board: BoardDescriptor) -> DiagnosticCheck {
        guard let installed = ImageVersion(deviceVersion) else {
            return DiagnosticCheck("firmware", .skip, "the board's version '\(deviceVersion)' cannot be compared with image versions")
        }
        let fitting = candidates.filter { candidate in
            guard let bootloader = board.bootloader?.id else { return true }
            return (try? candidate.image.checkTarget(bootloader)) != nil
        }
        guard let newest = fitting.max(by: { $0.version < $1.version }) else {
            return DiagnosticCheck("firmware", .skip, "\(installed); no image for this board in \(directory)")
        }
        guard installed.isOlder(than: newest.version) else {
            return DiagnosticCheck("firmware", .pass, "\(installed) is up to date (newest in \(directory): \(newest.version))")
        }
        let trust: String
        do {
            let verdict = try FirmwarePolicy().evaluate(newest.image, trustStore: trustStore)
            trust = "signed by trusted key \(verdict.signer ?? "?")"
        } catch {
            trust = "but pinion flash would refuse it (\(error.rule.rawValue)): \(error.reason)"
        }
        return DiagnosticCheck("firmware", .warn, "\(installed) installed; update available: \(newest.version) (\(newest.path)), \(trust)")
    }
}
