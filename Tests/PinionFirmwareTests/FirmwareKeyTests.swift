import Foundation
import Testing
@testable import PinionFirmware

@Suite struct FirmwareKeyTests {
    @Test func readsOpensslAndImgtoolKeyFiles() throws {
        let key = try ImageFixtures.signingKey()
        let pem = try FirmwarePublicKey(pem: ImageFixtures.text("test-ed25519.pub.pem"), name: "pem")
        let hex = try FirmwarePublicKey(hex: ImageFixtures.text("test-ed25519.pub.hex"), name: "hex")
        #expect(key.publicKey.rawRepresentation == pem.rawRepresentation)
        #expect(hex.rawRepresentation == pem.rawRepresentation)
        #expect(key.publicKey.name == "test-ed25519")
        // Writes byte for byte what openssl / imgtool wrote.
        #expect(key.pem == (try ImageFixtures.text("test-ed25519.pem")))
        #expect(pem.pem == (try ImageFixtures.text("test-ed25519.pub.pem")))
        #expect(pem.hex + "\n" == (try ImageFixtures.text("test-ed25519.pub.hex")))
    }

    @Test func generatedKeysRoundTripAndAreWrittenPrivately() throws {
        let directory = try ImageFixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let key = FirmwareSigningKey.generate(name: "fresh")
        let path = directory + "/fresh.pem"
        try key.write(toPath: path)
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
        let loaded = try FirmwareSigningKey.load(path: path)
        #expect(loaded.publicKey.rawRepresentation == key.publicKey.rawRepresentation)
        let message = Array("firmware".utf8)
        #expect(loaded.publicKey.isValidSignature(key.signature(for: message), for: message))

        let again = ImageFixtures.keyError { () throws(FirmwareKeyError) in try key.write(toPath: path) }
        #expect(again?.problem.contains("already exists") == true)
    }

    @Test func rejectsKeysThatAreNotEd25519OrNotUsable() throws {
        // An EC P-256 public key (openssl ecparam -name prime256v1 -genkey | openssl ec -pubout).
        let ecPEM = """
        -----BEGIN PUBLIC KEY-----
        MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEP/kmMULjFRg3iUGoMpuHnJ2uWrab
        6SpUHP2jG7vTrJtdu2lIx3g5Bp7yT4G2mLl+m3E9vGsyyyj+ck9CD55DAw==
        -----END PUBLIC KEY-----
        """
        let ec = ImageFixtures.keyError { () throws(FirmwareKeyError) in try FirmwarePublicKey(pem: ecPEM, name: "ec") }
        #expect(ec?.description == "ec: not an Ed25519 key (algorithm 1.2.840.10045.2.1); Pinion's firmware keys are Ed25519")

        let privateInStore = ImageFixtures.keyError { () throws(FirmwareKeyError) in
            try FirmwarePublicKey(pem: try! ImageFixtures.text("test-ed25519.pem"), name: "oops")
        }
        #expect(privateInStore?.problem.hasPrefix("holds a private key") == true)

        let encrypted = "-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n"
        #expect(ImageFixtures.keyError { () throws(FirmwareKeyError) in try FirmwareSigningKey(pem: encrypted, name: "k") }?.problem
            .contains("password-protected") == true)
        #expect(ImageFixtures.keyError { () throws(FirmwareKeyError) in try FirmwarePublicKey(hex: "abcd", name: "h") } != nil)
        #expect(ImageFixtures.keyError { () throws(FirmwareKeyError) in
            try FirmwarePublicKey(pem: "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEA\n", name: "u")
        }?.problem == "the PUBLIC KEY block has no END line")
        #expect(ImageFixtures.keyError { () throws(FirmwareKeyError) in
            try FirmwarePublicKey(pem: "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEA\n-----END PUBLIC KEY-----\n", name: "s")
        } != nil)
    }

    @Test func trustStoreReadsPemAndHexFilesAndIgnoresOthers() throws {
        let directory = try ImageFixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try FileManager.default.copyItem(atPath: ImageFixtures.path("test-ed25519.pub.hex"), toPath: directory + "/lab.hex")
        try FileManager.default.copyItem(atPath: ImageFixtures.path("other-ed25519.pub.pem"), toPath: directory + "/vendor.pem")
        try "# Trusted firmware keys\n".write(toFile: directory + "/README", atomically: true, encoding: .utf8)
        let store = try FirmwareTrustStore.load(directory: directory)
        #expect(store.keys.map(\.name) == ["lab", "vendor"])
        #expect(store.directory == directory)

        let added = FirmwareSigningKey.generate().publicKey
        try FirmwareTrustStore.add(added, named: "new", to: directory)
        #expect(try FirmwareTrustStore.load(directory: directory).keys.map(\.name) == ["lab", "new", "vendor"])
        #expect(ImageFixtures.keyError { () throws(FirmwareKeyError) in try FirmwareTrustStore.add(added, named: "../x", to: directory) } != nil)

        try FileManager.default.copyItem(atPath: ImageFixtures.path("test-ed25519.pem"), toPath: directory + "/secret.pem")
        let error = ImageFixtures.keyError { () throws(FirmwareKeyError) in try FirmwareTrustStore.load(directory: directory) }
        #expect(error?.path == directory + "/secret.pem")
        #expect(error?.problem.hasPrefix("holds a private key") == true)

        let missing = ImageFixtures.keyError { () throws(FirmwareKeyError) in try FirmwareTrustStore.load(directory: directory + "/nope") }
        #expect(missing?.problem.contains("does not exist") == true)
    }
}
