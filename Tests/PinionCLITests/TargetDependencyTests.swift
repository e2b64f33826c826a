import Foundation
import PinionTestSupport
import Testing

/// The package's module graph says what is true: every module a target imports is declared in
/// Package.swift, and no library but PinionUSBLinux and PinionI2CLinux reaches libusb or libi2c.
/// The check itself is `scripts/check-target-deps`; this runs it as part of `swift test`.
@Suite("Package target dependencies")
struct TargetDependencyTests {
    @Test func everyImportIsDeclaredAndOnlyTheLinuxTargetsReachLibUSBAndLibI2C() async throws {
        let script = BuiltExecutable.repositoryRoot.appendingPathComponent("scripts/check-target-deps").path
        // Off the cooperative pool: the script runs `swift package dump-package`, which takes seconds.
        let run = try await ProgramRun.run(script, [], mergingErrors: true, timeoutSeconds: 120)
        #expect(run.status == 0, "scripts/check-target-deps:\n\(run.stdout)")
    }
}
