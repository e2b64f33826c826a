import Foundation
import PinionBoards
import Testing

/// toml++ (inside TOMLKit) asserts, and so aborts the process, on two syntax errors the fuzzer found:
/// a table header whose key starts with neither a key character nor a quote (`[` then a control
/// character), and a `}` where an array expects a value (`d=[}`). TOMLReader reports each as a
/// syntax error naming the line and column.
struct TOMLPrecheckTests {
    @Test(arguments: [
        ("[\u{01}", 1, 2), ("[=", 1, 2), ("[#", 1, 2), ("[.a]", 1, 2), ("[", 1, 2), ("a = 1\n[\nb = 2", 2, 2),
        ("[[=]]", 1, 3), ("[[[a]]]", 1, 3), ("x = 1\n  [ \t=]", 2, 6), ("[ [a]]", 1, 3), ("[\u{A0}a]", 1, 2),
    ])
    func headerWithoutAKeyIsASyntaxError(text: String, line: Int, column: Int) {
        #expect {
            _ = try TOMLReader.parse(text, file: "bad.toml")
        } throws: { error in
            guard let error = error as? CatalogueError else { return false }
            return error.file == "bad.toml" && error.key == "line \(line), column \(column)" && error.message.contains("table header")
        }
    }

    @Test(arguments: [
        ("d=[}", 1, 4), ("a = [1, }", 1, 9), ("a = [\n  # c\n  }", 3, 3), ("a = [[1], [\u{2028}]]", 1, 12),
        ("a = [\u{85}]", 1, 6), ("a = { b = [ } ", 1, 13),
    ])
    func arrayWithoutAValueIsASyntaxError(text: String, line: Int, column: Int) {
        #expect {
            _ = try TOMLReader.parse(text, file: "bad.toml")
        } throws: { error in
            guard let error = error as? CatalogueError else { return false }
            return error.file == "bad.toml" && error.key == "line \(line), column \(column)" && error.message.contains("array")
        }
    }

    @Test func bracketsInValuesStringsAndCommentsAreNotHeaders() throws {
        let text = """
        # [= a comment
        a = [
          [+1, -2],
          { b = "[=" },
        ]
        c = \"\"\"
        [= inside a multi-line string
        \"\"\"
        d = '''
        [#'''
        e = "[#" # [=
        f = [ 1, [ 2, { g = [] } ], ]
        h = [ ]
        ["quoted key"]
        [ 'x' . y ]
        [[z]]
        """
        let reader = try TOMLReader.parse(text, file: "good.toml")
        #expect(reader.table.contains(key: "quoted key"))
    }

    /// Every crash input the fuzzer found in board files and pinion.toml (Fuzz/corpus/*/crash-*),
    /// through the same parse that loading a board file uses.
    @Test func fuzzerCrashInputsAreErrorsNotCrashes() throws {
        let inputs = try FuzzCorpus.crashInputs(of: ["board-catalogue", "gateway-config"])
        #expect(!inputs.isEmpty)
        for input in inputs {
            guard let text = String(validating: input.bytes, as: UTF8.self) else { continue }
            #expect(throws: CatalogueError.self, "\(input.name)") { _ = try BoardDescriptorLoader.parse(text, file: "boards/fuzz.toml") }
        }
    }
}

/// The committed crash inputs of the fuzz campaign (Fuzz/corpus/<target>/crash-*), see docs/fuzzing.md.
enum FuzzCorpus {
    static func crashInputs(of targets: [String]) throws -> [(name: String, bytes: [UInt8])] {
        try targets.flatMap { target in
            let folder = Repository.root.appendingPathComponent("Fuzz/corpus/\(target)")
            return try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasPrefix("crash-") }.sorted().map {
                ("\(target)/\($0)", Array(try Data(contentsOf: folder.appendingPathComponent($0))))
            }
        }
    }
}
