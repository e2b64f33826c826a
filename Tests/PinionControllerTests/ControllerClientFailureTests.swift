import Foundation
import Glibc
@testable import PinionController
import Testing

/// What the CLI says when it cannot connect to the controller's socket.
@Suite("Controller client: connect failures")
struct ControllerClientFailureTests {
    @Test func aRefusedPermissionNamesTheSocketsGroupAndHowToJoinIt() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("client-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("pinion.sock").path
        #expect(FileManager.default.createFile(atPath: path, contents: nil))
        var info = stat()
        #expect(stat(path, &info) == 0)
        let group = String(cString: try #require(getgrgid(info.st_gid)).pointee.gr_name)

        let line = ControllerClient.connectFailure(EACCES, socketPath: path)
        #expect(line == "cannot reach the controller at \(path): Permission denied: it is for group \(group) (sudo usermod -aG \(group) $USER, then log in again)")
        #expect(!line.contains("\n"))
    }

    /// An outsider may not search the runtime directory (0750), so the socket cannot be looked at:
    /// the directory's group is the one to join.
    @Test func whenTheSocketCannotBeLookedAtTheDirectorysGroupIsNamed() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("client-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        var info = stat()
        #expect(stat(directory.path, &info) == 0)
        let group = String(cString: try #require(getgrgid(info.st_gid)).pointee.gr_name)

        let line = ControllerClient.connectFailure(EACCES, socketPath: directory.appendingPathComponent("absent.sock").path)
        #expect(line.hasSuffix("it is for group \(group) (sudo usermod -aG \(group) $USER, then log in again)"))
    }

    @Test func aMissingSocketAsksWhetherTheControllerRuns() {
        let line = ControllerClient.connectFailure(ENOENT, socketPath: "/run/pinion/pinion.sock")
        #expect(line == "cannot reach the controller at /run/pinion/pinion.sock: No such file or directory (is `pinion run` running? is --socket right?)")
    }
}
