import Foundation

/// An independent Sparkplug B decoder: Python's protobuf with the module `protoc --python_out`
/// made from Eclipse Tahu's sparkplug_b.proto (Tests/PinionUpstreamTests/Resources/sparkplug_b_pb2.py).
/// Each payload comes back as `json_format.MessageToDict` gives it (lowerCamelCase field names;
/// uint64 values as strings; proto2 fields that were set are present even when 0).
public struct PythonSparkplugDecoder: Sendable {
    public static let python = "/usr/bin/python3"
    /// The folder holding sparkplug_b_pb2.py.
    public let moduleDirectory: String

    public init(moduleDirectory: String) {
        self.moduleDirectory = moduleDirectory
    }

    /// The module in this source tree (for test targets that do not bundle it).
    public static func inSourceTree(testFile: String = #filePath) -> PythonSparkplugDecoder {
        var url = URL(fileURLWithPath: testFile)
        while url.path != "/" && !FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path) {
            url.deleteLastPathComponent()
        }
        return PythonSparkplugDecoder(moduleDirectory: url.appendingPathComponent("Tests/PinionUpstreamTests/Resources").path)
    }

    /// python3 is there and imports google.protobuf.
    public static var available: Bool {
        guard FileManager.default.isExecutableFile(atPath: python) else { return false }
        return (try? ProgramRun(python, ["-c", "import google.protobuf"], mergingErrors: true).status) == 0
    }

    /// Decodes each payload (hex) in one python3 run.
    public func decode(hexes: [String]) throws -> [[String: Any]] {
        let script = """
            import sys, json
            sys.path.insert(0, sys.argv[1])
            import sparkplug_b_pb2
            from google.protobuf import json_format
            for line in open(sys.argv[2]):
                payload = sparkplug_b_pb2.Payload()
                payload.ParseFromString(bytes.fromhex(line.strip()))
                print(json.dumps(json_format.MessageToDict(payload)))
            """
        let input = FileManager.default.temporaryDirectory.appendingPathComponent("sparkplug-\(UUID().uuidString).hex")
        try hexes.joined(separator: "\n").appending("\n").write(to: input, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: input) }
        let run = try ProgramRun(Self.python, ["-c", script, moduleDirectory, input.path], timeoutSeconds: 60)
        guard run.status == 0 else { throw DecodingFailure(description: "python3 failed (\(run.status)): \(run.stderr)") }
        return try run.stdout.split(separator: "\n").map { line in
            guard let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
                throw DecodingFailure(description: "python3 printed no JSON object: \(line)")
            }
            return object
        }
    }

    /// What went wrong decoding.
    public struct DecodingFailure: Error, CustomStringConvertible {
        public let description: String
    }
}
