/// Finds a table header whose key starts with neither a key character nor a quote (`[=`, `[#`,
/// `[.a]`, `[[[a]]]`, a `[` at the end of a line), before the text reaches toml++.
///
/// toml++ 3.4 (inside TOMLKit 0.6) asserts on such a header instead of reporting it: the process
/// aborts, or in a build without assertions runs into undefined behaviour. Found by fuzzing
/// (docs/fuzzing.md). The scan follows what toml++ takes for a header: a `[` first on its line
/// (after spaces or tabs), outside strings, comments and multi-line arrays or inline tables.
enum TOMLTableHeaderCheck {
    /// Where the key of the first bad header should start (1-based line and column, as toml++
    /// counts them) and what is there instead; nil when every header is one toml++ can report on.
    static func firstBadHeader(in text: String) -> (line: Int, column: Int, found: String)? {
        let scalars = Array(text.unicodeScalars)
        var index = 0, line = 1, lineStart = 0
        var depth = 0                // open arrays and inline tables of values
        var firstOnLine = true       // nothing but blanks so far on this line
        var inHeader = false         // the brackets of a header are not values

        func newLine(at position: Int) {
            line += 1
            lineStart = position + 1
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
            switch scalar {
            case "\n":
                newLine(at: index)
                firstOnLine = true
                inHeader = false
                index += 1
                continue
            case " ", "\t", "\r":
                index += 1
                continue
            case "#":
                while index < scalars.count, scalars[index] != "\n" { index += 1 }
                continue
            case "\"", "'":
                skipString(scalar)
                firstOnLine = false
                continue
            case "[" where firstOnLine && depth == 0:
                var key = index + 1
                while key < scalars.count, isBlank(scalars[key]) { key += 1 }
                if key == index + 1, key < scalars.count, scalars[key] == "[" {
                    key += 1
                    while key < scalars.count, isBlank(scalars[key]) { key += 1 }
                }
                guard key < scalars.count, startsKey(scalars[key]) else {
                    let found = key < scalars.count ? "U+\(String(scalars[key].value, radix: 16, uppercase: true))" : "the end of the file"
                    return (line, key - lineStart + 1, found)
                }
                inHeader = true
            case "[", "{":
                if !inHeader { depth += 1 }
            case "]", "}":
                if !inHeader { depth = max(0, depth - 1) }
            default:
                break
            }
            firstOnLine = false
            index += 1
        }
        return nil
    }
}
