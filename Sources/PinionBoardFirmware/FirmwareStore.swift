import Foundation

/// Where `pinion-board` keeps the image its DFU mode last manifested (`<directory>/firmware.bin`)
/// and the version the board reports from it. Written to a temporary file, synced and renamed, so
/// a power cut leaves the old image or the new one, never a torn one. Installing the image on the
/// board's boot medium is the job of the command given as `installCommand` (run with the file's
/// path), a board-specific step (RAUC, swupdate, a flash tool).
public struct FirmwareStore: Sendable {
    public let directory: String
    public let installCommand: [String]?

    public init(directory: String, installCommand: [String]? = nil) {
        self.directory = directory
        self.installCommand = installCommand
    }

    public var imagePath: String { directory + "/firmware.bin" }

    /// The stored image, or nil when none was ever stored.
    public func load() -> [UInt8]? {
        FileManager.default.contents(atPath: imagePath).map { [UInt8]($0) }
    }

    /// Stores `image` durably, then runs the install command, if any.
    public func store(_ image: [UInt8]) throws(GadgetError) {
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw GadgetError("create", path: directory, hint: error.localizedDescription)
        }
        let temporary = imagePath + ".partial"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else { throw GadgetError("open", path: temporary, errno: errno) }
        let written = image.withUnsafeBytes { write(fd, $0.baseAddress!, $0.count) }
        let code = errno
        guard written == image.count, fsync(fd) == 0 else {
            close(fd)
            unlink(temporary)
            throw GadgetError("write \(image.count) bytes to", path: temporary, errno: written < 0 ? code : errno)
        }
        close(fd)
        guard rename(temporary, imagePath) == 0 else { throw GadgetError("rename to", path: imagePath, errno: errno) }
        let directoryFD = open(directory, O_RDONLY)
        if directoryFD >= 0 { fsync(directoryFD); close(directoryFD) }
        if let installCommand {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = installCommand + [imagePath]
            do {
                try process.run()
                process.waitUntilExit()
            } catch {
                throw GadgetError("run install command \(installCommand.joined(separator: " ")) for", path: imagePath, hint: error.localizedDescription)
            }
            guard process.terminationStatus == 0 else {
                throw GadgetError("install command \(installCommand.joined(separator: " ")) failed (status \(process.terminationStatus)) for", path: imagePath)
            }
        }
    }
}
