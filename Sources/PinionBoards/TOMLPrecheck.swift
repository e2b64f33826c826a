/// Finds, before the text reaches toml++, the syntax errors toml++ asserts on instead of reporting.
///
/// toml++ 3.4 (inside TOMLKit 0.6) checks these with an assertion: the process aborts, or in a
/// build without assertions runs into undefined behaviour. Found by fuzzing (docs/fuzzing.md):
/// - a table header whose key starts with neither a key character nor a quote: `[=`, `[#`,
///   `[.a]`, `[[[a]]]`, a `[` that ends its line;
/// - in an array, where a value must come, a `}` or a Unicode line separator (U+0085, U+2028,
///   U+2029): `a = [}`, `a = [1, }`.
///
/// The scan follows what toml++ takes for a header (a `[` first on its line, after spaces or
/// tabs, outside any value) and for an array, skipping strings and comments.
enum TOMLPrecheck {
    /// The first such error: 1-based line and column (as toml++ counts them) and what is wrong.
    static func firstProblem(in text: String) -> (line: Int, column: Int, problem: String)? {
        let scalars = Array(text.unicodeScalars)
        var index = 0, line = 1, lineStart = 0
        var containers: [Unicode.Scalar] = []   // the open arrays ("[") and inline tables ("{") of values
        var firstOnLine = true                  // nothing but blanks so far on this line
        var inHeader = false                    // the brackets of a header are not values
        var expectingArrayValue = false         // after an array's "[" or ","

        func newLine(at position: Int) {
            line += 1
            lineStart = position + 1
        }
        func described(_ position: Int) -> String {
            position < scalars.count ? "U+" + String(scalars[position].value, radix: 16, uppercase: true).leftPadded(to: 4) : "the end of the file"
        }
        /// Skips a string opened at `index` by `quote`; multi-line when the quote is tripled.
        func skipString(_ quote: Unicode.Scalar) {
            let escapes = quote == "\""
            let multiLine = index + 2 < scalars.count && scalars[index + 1] == quote && scalars[index + 2] == quote
            index += multiLine ? 3 : 1
            while index < scalars.count {
                let scalar = scalars[index]
                if escapes && scalar == "\\" {
                    if index + 1 < scalars.count, scalars[index + 1] == "\n" { newLine(at: index + 1) }
                    index += 2
                    continue
                }
                if scalar == "\n" {
                    if !multiLine { return }
                    newLine(at: index)
                } else if scalar == quote {
                    if !multiLine { index += 1; return }
                    if index + 2 < scalars.count, scalars[index + 1] == quote, scalars[index + 2] == quote {
                        index += 3
                        // Up to two more quotes belong to the string's content.
                        var extra = 0
                        while extra < 2, index < scalars.count, scalars[index] == quote { index += 1; extra += 1 }
                        return
                    }
                }
                index += 1
            }
        }
        func isBlank(_ scalar: Unicode.Scalar) -> Bool { scalar == " " || scalar == "\t" }
        func startsKey(_ scalar: Unicode.Scalar) -> Bool {
            switch scalar {
            case "a"..."z", "A"..."Z", "0"..."9", "_", "-", "\"", "'", "]": true
            default: false
            }
        }

        while index < scalars.count {
            let scalar = scalars[index]
            if scalar == "\n" {
                newLine(at: index)
                firstOnLine = true
                inHeader = false
                index += 1
                continue
            }
            if scalar == " " || scalar == "\t" || scalar == "\r" {
                index += 1
                continue
            }
            if scalar == "#" {
                while index < scalars.count, scalars[index] != "\n" { index += 1 }
                continue
            }
            if expectingArrayValue && ["}", "\u{85}", "\u{2028}", "\u{2029}"].contains(scalar) {
                return (line, index - lineStart + 1, "expected a value or ']' in the array, found \(described(index))")
            }
            let startsLine = firstOnLine
            firstOnLine = false
            expectingArrayValue = false
            switch scalar {
            case "\"", "'":
                skipString(scalar)
                continue
            case "[" where startsLine && containers.isEmpty:
                var key = index + 1
                while key < scalars.count, isBlank(scalars[key]) { key += 1 }
                if key == index + 1, key < scalars.count, scalars[key] == "[" {
                    key += 1
                    while key < scalars.count, isBlank(scalars[key]) { key += 1 }
                }
                guard key < scalars.count, startsKey(scalars[key]) else {
                    return (line, key - lineStart + 1,
                            "a table header must start with a key (letters, digits, '_', '-') or a quote, found \(described(key))")
                }
                inHeader = true
            case "[" where !inHeader:
                containers.append(scalar)
                expectingArrayValue = true
            case "{" where !inHeader:
                containers.append(scalar)
            case "]" where !inHeader, "}" where !inHeader:
                if !containers.isEmpty { containers.removeLast() }
            case "," where containers.last == "[":
                expectingArrayValue = true
            default:
                break
            }
            index += 1
        }
        return nil
    }
}

private extension String {
    func leftPadded(to width: Int) -> String { String(repeating: "0", count: max(0, width - count)) + self }
}
