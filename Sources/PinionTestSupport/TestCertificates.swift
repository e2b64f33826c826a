import Foundation

/// A throwaway certificate authority made with the `openssl` command at test time, and the
/// certificates it signs: a server certificate for 127.0.0.1/localhost and client certificates.
public struct TestCertificates: Sendable {
    public let directory: URL
    /// The CA's certificate: what clients and the broker trust.
    public var caFile: String { directory.appendingPathComponent("ca.crt").path }
    public var caKeyFile: String { directory.appendingPathComponent("ca.key").path }

    /// False (the test says why, loudly) when openssl is not installed.
    public static func available() -> Bool { FileManager.default.isExecutableFile(atPath: "/usr/bin/openssl") }

    /// Makes a new CA (EC P-256, valid two days) in `directory` (created if need be).
    public init(directory: URL, commonName: String = "Pinion test CA") throws {
        self.directory = directory
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try Self.openssl(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                          "-keyout", caKeyFile, "-out", caFile, "-days", "2", "-subj", "/CN=\(commonName)",
                          "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"])
    }

    /// A certificate and key signed by this CA, named `name` (`name.crt`, `name.key`): for a server
    /// (127.0.0.1 and localhost in subjectAltName) or for a client.
    public func issue(_ name: String, commonName: String, server: Bool) throws -> (certificate: String, key: String) {
        let key = directory.appendingPathComponent("\(name).key").path
        let request = directory.appendingPathComponent("\(name).csr").path
        let certificate = directory.appendingPathComponent("\(name).crt").path
        let extensions = directory.appendingPathComponent("\(name).ext")
        try (server ? "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n" : "extendedKeyUsage=clientAuth\n")
            .write(to: extensions, atomically: true, encoding: .utf8)
        try Self.openssl(["req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                          "-keyout", key, "-out", request, "-subj", "/CN=\(commonName)"])
        try Self.openssl(["x509", "-req", "-in", request, "-CA", caFile, "-CAkey", caKeyFile, "-CAcreateserial",
                          "-out", certificate, "-days", "2", "-extfile", extensions.path])
        // mosquitto started as root reads its key after switching to the mosquitto user.
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: key)
        return (certificate, key)
    }

    private static func openssl(_ arguments: [String]) throws {
        let run = try ProgramRun("/usr/bin/openssl", arguments)
        guard run.status == 0 else {
            throw TestSupportError("openssl \(arguments.first ?? "") failed (\(run.status)): \(run.stderr)")
        }
    }
}

/// A test harness step that failed, and why.
public struct TestSupportError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
