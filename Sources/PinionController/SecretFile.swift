import Foundation
import Glibc

/// Reading a file that holds a secret (the API token): it must not be readable or writable by
/// other users, or the secret is not one.
public enum SecretFile {
    /// The file's contents, trimmed. Throws one line when the file is missing, unreadable, or
    /// gives other users any access (say how to fix it: `chmod 600`).
    public static func read(_ path: String, what: String) throws -> String {
        var status = stat()
        guard stat(path, &status) == 0 else {
            throw ControllerError("cannot read \(what) \(path): \(String(cString: strerror(errno)))")
        }
        let mode = status.st_mode & 0o777
        if mode & 0o007 != 0 {
            throw ControllerError("\(what) \(path) is open to other users (mode \(String(mode, radix: 8))): chmod 600 \(path)")
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ControllerError("cannot read \(what) \(path)")
        }
        return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
