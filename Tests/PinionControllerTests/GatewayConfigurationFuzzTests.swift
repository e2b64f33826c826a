import Foundation
import PinionBoards
import PinionController
import Testing

/// The inputs that crashed the gateway-config fuzz target (Fuzz/corpus/gateway-config/crash-*,
/// docs/fuzzing.md), through `GatewayConfiguration.parse` as `pinion run` loads pinion.toml:
/// each must be an error naming the file, not a crash.
struct GatewayConfigurationFuzzTests {
    @Test func fuzzerCrashInputsAreErrors() throws {
        let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fuzz/corpus/gateway-config")
        let names = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasPrefix("crash-") }.sorted()
        #expect(!names.isEmpty)
        for name in names {
            let bytes = try Data(contentsOf: folder.appendingPathComponent(name))
            guard let text = String(data: bytes, encoding: .utf8) else { continue }
            #expect(throws: CatalogueError.self, "\(name)") { _ = try GatewayConfiguration.parse(text, file: "pinion.toml") }
        }
    }
}
