/// The rule every task id must follow, checked wherever a task comes in (the API, MQTT intake,
/// `pinion submit --id`): 1 to 128 ASCII characters, each a letter, a digit or one of
/// `- _ . : + = @ ~`, the first a letter or digit. Such an id is one path segment as it stands
/// (`GET /v1/tasks/ID`), one MQTT topic level and one short field in a ledger receipt.
public enum TaskID {
    public static let maximumLength = 128
    /// The characters allowed besides ASCII letters and digits.
    public static let punctuation: Set<UInt8> = Set("-_.:+=@~".utf8)
    /// The rule in words, for error messages and docs.
    public static let rule = "1-\(maximumLength) ASCII letters, digits and - _ . : + = @ ~, starting with a letter or digit"

    /// Why `id` is not a valid task id, or nil when it is.
    public static func problem(with id: String) -> String? {
        let bytes = id.utf8
        guard !bytes.isEmpty else { return "is empty; a task id is \(rule)" }
        guard bytes.count <= maximumLength else { return "is \(bytes.count) bytes long; a task id is \(rule)" }
        guard let first = bytes.first, isAlphanumeric(first) else {
            return "'\(printable(id))' does not start with a letter or digit; a task id is \(rule)"
        }
        if let bad = bytes.first(where: { !isAlphanumeric($0) && !punctuation.contains($0) }) {
            let what = switch bad {
            case 0x20: "a space"
            case 0x21..<0x7F: "'\(Character(Unicode.Scalar(bad)))'"
            case 0x80...: "a non-ASCII character"
            default: "a control character"
            }
            return "'\(printable(id))' contains \(what); a task id is \(rule)"
        }
        return nil
    }

    private static func isAlphanumeric(_ byte: UInt8) -> Bool {
        (0x30...0x39).contains(byte) || (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte)
    }

    /// `id` as it can be shown on one line of an error message.
    private static func printable(_ id: String) -> String {
        String(id.unicodeScalars.map { $0.isASCII && $0.value >= 0x20 && $0.value < 0x7F ? Character($0) : "?" })
    }
}
