extension I2CScanResult {
    /// The result as i2cdetect prints it, byte for byte: a header line, then rows `00:` to `70:`
    /// of 16 three-character cells — `48 ` present, `-- ` absent (or failed), `UU ` claimed,
    /// three spaces when not probed — each row ending in the last cell's space and a newline.
    public func renderGrid() -> String {
        var text = "     0  1  2  3  4  5  6  7  8  9  a  b  c  d  e  f\n"
        var statuses = [Status?](repeating: nil, count: 128)
        for entry in entries { statuses[Int(entry.address.rawValue)] = entry.status }
        for row in stride(from: 0, to: 128, by: 16) {
            text += hex2(UInt8(row)) + ": "
            for column in 0..<16 {
                let address = UInt8(row + column)
                switch statuses[Int(address)] {
                case .present: text += hex2(address) + " "
                case .absent, .failed: text += "-- "
                case .busy: text += "UU "
                case .notProbed, nil: text += "   "
                }
            }
            text += "\n"
        }
        return text
    }
}
