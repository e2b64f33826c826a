import Foundation
import Glibc

/// An exclusive hold on the controller's state: an `flock` on `pinion.lock` in every directory
/// that holds a state file (journal, ledger, identity, outbox). Two controllers on the same state
/// interleave the ledger and run tasks twice, so the daemon takes this before it reads or writes
/// any state, and a second one is refused with the holder's pid.
///
/// The kernel drops the lock when the process ends however it ends (kill -9 included), so a stale
/// lock file never blocks a restart. The lock lasts as long as this value's file descriptors: keep
/// it alive for the life of the daemon.
public final class StateLock: Sendable {
    /// The lock files held, one per state directory.
    public let paths: [String]
    private let descriptors: [Int32]

    private init(paths: [String], descriptors: [Int32]) {
        self.paths = paths
        self.descriptors = descriptors
    }

    deinit {
        for descriptor in descriptors { close(descriptor) }
    }

    /// The name of the lock file in each state directory.
    public static let fileName = "pinion.lock"

    /// Locks the directories of `stateFiles` (made, mode 0750, when missing), in a fixed order.
    /// Throws one line naming the directory and the pid that holds it when another process does.
    public static func acquire(stateFiles: [String]) throws -> StateLock {
        let directories = Set(stateFiles.map { path -> String in
            let directory = (path as NSString).deletingLastPathComponent
            return directory.isEmpty ? "." : directory
        }).sorted()
        var held: [Int32] = []
        var paths: [String] = []
        do {
            for directory in directories {
                try StateDirectory.create(directory)
                let path = "\(directory)/\(fileName)"
                held.append(try lock(path))
                paths.append(path)
            }
        } catch {
            for descriptor in held { close(descriptor) }
            throw error
        }
        return StateLock(paths: paths, descriptors: held)
    }

    private static func lock(_ path: String) throws -> Int32 {
        let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o640)
        guard descriptor >= 0 else {
            throw ControllerError("cannot open the state lock \(path): \(String(cString: strerror(errno)))")
        }
        while flock(descriptor, LOCK_EX | LOCK_NB) != 0 {
            if errno == EINTR { continue }
            let reason = errno
            let holder = holderDescription(descriptor)
            close(descriptor)
            if reason == EWOULDBLOCK {
                throw ControllerError("another controller\(holder) holds the state in \((path as NSString).deletingLastPathComponent) (lock \(path)): stop it first, or give this one state paths of its own")
            }
            throw ControllerError("cannot lock \(path): \(String(cString: strerror(reason)))")
        }
        let note = Array("pid \(getpid())\n".utf8)
        _ = ftruncate(descriptor, 0)
        _ = note.withUnsafeBytes { pwrite(descriptor, $0.baseAddress, $0.count, 0) }
        return descriptor
    }

    /// " (pid N)" from the holder's note in the lock file, or "" when it has written none.
    private static func holderDescription(_ descriptor: Int32) -> String {
        var buffer = [UInt8](repeating: 0, count: 64)
        let count = buffer.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress, $0.count, 0) }
        guard count > 0 else { return "" }
        let text = String(decoding: buffer[..<count], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return text.hasPrefix("pid ") ? " (\(text))" : ""
    }
}

/// Creating the directories that hold the controller's state: without access for other users.
public enum StateDirectory {
    /// Mode of a state directory Pinion creates: the owner writes, the group may read.
    public static let mode: mode_t = 0o750
    /// The process umask the daemon runs with, so that every state file it creates (SQLite's
    /// journal, -wal and -shm, the outbox, the ledger) gives other users no access.
    public static let umask: mode_t = 0o027

    /// Makes `path` and its missing parents (mode 0750); an existing directory is left as it is.
    public static func create(_ path: String) throws {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else { throw ControllerError("\(path) is not a directory") }
            return
        }
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: Int(mode)])
        } catch {
            throw ControllerError("cannot create the state directory \(path): \(error.localizedDescription)")
        }
    }
}
