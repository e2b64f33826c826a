import Glibc

/// Reads a firmware file with one pass of read(2) straight into the array the image keeps: no
/// `Data` in between, so a file costs its size in memory once. Its size is checked against the
/// limit first, from fstat, before a byte is read.
enum FirmwareFileReader {
    static func read(path: String, limit: FirmwareFileLimit?) throws(FirmwareImageError) -> [UInt8] {
        func failure(_ kind: FirmwareImageError.Kind, _ problem: String) -> FirmwareImageError {
            FirmwareImageError(kind, file: path, section: "file", problem: problem)
        }
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            let code = errno
            throw failure(.unreadable, code == ENOENT ? "no such file" : "cannot open the file: \(String(cString: strerror(code)))")
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw failure(.unreadable, "cannot stat the file: \(String(cString: strerror(errno)))") }
        guard info.st_mode & S_IFMT == S_IFREG else { throw failure(.unreadable, "not a regular file") }
        let size = Int(info.st_size)
        if let limit, size > limit.fileBytes {
            throw failure(.tooLarge, "the file is \(size) bytes, larger than any board holds: the limit is \(limit)")
        }
        var readError: Int32?
        let bytes = [UInt8](unsafeUninitializedCapacity: size) { buffer, count in
            count = 0
            while count < size {
                let got = Glibc.read(fd, buffer.baseAddress! + count, size - count)
                if got < 0 && errno == EINTR { continue }
                guard got > 0 else {
                    if got < 0 { readError = errno }
                    break
                }
                count += got
            }
        }
        if let readError { throw failure(.unreadable, "cannot read the file: \(String(cString: strerror(readError)))") }
        guard bytes.count == size else { throw failure(.unreadable, "the file shrank while it was read (\(bytes.count) of \(size) bytes)") }
        return bytes
    }
}
