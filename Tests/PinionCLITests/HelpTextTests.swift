import Foundation
import PinionTestSupport
import Testing

/// Every command's --help, as argument-parser wraps it: the texts in the source must be one logical
/// line per paragraph, or the help shows lines broken mid-sentence at any terminal width.
@Suite("help texts")
struct HelpTextTests {
    /// Every command path below `pinion`, found from the SUBCOMMANDS sections of the help itself.
    static func commandPaths() throws -> [[String]] {
        var found: [[String]] = []
        var pending: [[String]] = [[]]
        while let path = pending.popLast() {
            found.append(path)
            let outcome = try PinionProcess.run(["help"] + path, environment: ["COLUMNS": "200"])
            guard let section = outcome.stdout.range(of: "SUBCOMMANDS:\n") else { continue }
            for line in outcome.stdout[section.upperBound...].split(separator: "\n", omittingEmptySubsequences: false) {
                guard line.hasPrefix("  "), !line.hasPrefix("   ") else { break }
                let name = String(line.dropFirst(2).prefix { !$0.isWhitespace })
                if name != "help" { pending.append(path + [name]) }
            }
        }
        return found
    }

    /// Lines of `help` that show a hand-wrapped text: a short line that does not end a sentence,
    /// followed by a line that carries on in lower case; or prose with a run of spaces inside it.
    static func brokenLines(_ help: String, columns: Int) -> [String] {
        let body = help.components(separatedBy: "\nSUBCOMMANDS:").first ?? help
        let lines = body.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        var broken: [String] = []
        for (line, next) in zip(lines, lines.dropFirst()) {
            let trimmed = next.drop { $0 == " " }
            let endsSentence = line.last.map { ".:;!?)".contains($0) } ?? true
            // A long option name alone on its line: argument-parser starts its help on the next one.
            let nameAlone = line.drop { $0 == " " }.first.map { "-<".contains($0) } == true && !line.drop { $0 == " " }.contains("  ")
            if !line.isEmpty, !nameAlone, line.count < columns - 40, !endsSentence, trimmed.first?.isLowercase == true {
                broken.append("\(line)⏎\(next)")
            }
        }
        for line in lines where !line.hasPrefix(" ") && line.range(of: #"\S {3,}\S"#, options: .regularExpression) != nil {
            broken.append(line)
        }
        return broken
    }

    @Test(arguments: [80, 120])
    func everyCommandsHelpIsWrappedByArgumentParser(columns: Int) throws {
        let paths = try Self.commandPaths()
        #expect(paths.count > 20, "found only \(paths)")
        for path in paths {
            let outcome = try PinionProcess.run(path + ["--help"], environment: ["COLUMNS": "\(columns)"])
            #expect(outcome.status == 0, "pinion \(path.joined(separator: " ")) --help: \(outcome.stderr)")
            let broken = Self.brokenLines(outcome.stdout, columns: columns)
            #expect(broken.isEmpty, "pinion \(path.joined(separator: " ")) --help at \(columns) columns:\n\(broken.joined(separator: "\n"))")
        }
    }

    @Test(arguments: [80, 120])
    func pinionBoardsHelpIsWrappedByArgumentParserToo(columns: Int) throws {
        let binary = BuiltExecutable.url(named: "pinion-board").path
        for path in [[], ["run"], ["worker"]] {
            let outcome = try ProgramRun(binary, path + ["--help"], environment: ["COLUMNS": "\(columns)"])
            #expect(outcome.status == 0, "pinion-board \(path.joined(separator: " ")) --help: \(outcome.stderr)")
            #expect(outcome.stdout.contains("USAGE: pinion-board"))
            let broken = Self.brokenLines(outcome.stdout, columns: columns)
            #expect(broken.isEmpty, "pinion-board \(path.joined(separator: " ")) --help at \(columns) columns:\n\(broken.joined(separator: "\n"))")
        }
    }
}
