import Foundation
@testable import PinionModels
import Testing

/// An installed `pinion` reads its model from share/pinion/models beside its bin directory (the
/// Debian package has no SwiftPM resource bundle; once the build folder was gone it stopped).
@Suite("Digits model files of an installed pinion")
struct InstalledModelsTests {
    @Test func theShareDirectoryBesideBinIsFoundThroughASymlinkedExecutable() throws {
        let prefix = FileManager.default.temporaryDirectory.appendingPathComponent("prefix-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: prefix) }
        let bin = prefix.appendingPathComponent("usr/bin"), models = prefix.appendingPathComponent("usr/share/pinion/models")
        try FileManager.default.createDirectory(at: bin, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: models, withIntermediateDirectories: true)
        let executable = bin.appendingPathComponent("pinion")
        #expect(FileManager.default.createFile(atPath: executable.path, contents: Data()))
        let link = prefix.appendingPathComponent("pinion-link")
        try FileManager.default.createSymbolicLink(at: link, withDestinationURL: executable)

        #expect(DigitsDataset.installedDirectory(executable: executable)?.resolvingSymlinksInPath().path == models.resolvingSymlinksInPath().path)
        #expect(DigitsDataset.installedDirectory(executable: link)?.resolvingSymlinksInPath().path == models.resolvingSymlinksInPath().path)
    }

    @Test func aCheckoutBuildHasNoneAndReadsTheBundle() throws {
        let prefix = FileManager.default.temporaryDirectory.appendingPathComponent("prefix-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: prefix) }
        try FileManager.default.createDirectory(at: prefix.appendingPathComponent("debug"), withIntermediateDirectories: true)
        #expect(DigitsDataset.installedDirectory(executable: prefix.appendingPathComponent("debug/pinion")) == nil)
        #expect(try DigitsDataset.testSplit().count == 540)
    }
}
