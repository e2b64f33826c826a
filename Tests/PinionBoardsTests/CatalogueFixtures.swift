import Foundation

/// Temporary catalogue directories for tests, removed when the value is dropped.
final class TemporaryCatalogue {
    let directory: String

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("pinion-boards-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    @discardableResult
    func write(_ name: String, _ text: String) throws -> String {
        let path = (directory as NSString).appendingPathComponent(name)
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    deinit { try? FileManager.default.removeItem(atPath: directory) }
}

enum Repository {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let boards = root.appendingPathComponent("boards").path
}

/// A minimal valid descriptor; tests change one line to make it invalid.
let validBoard = """
    schema = 1
    name = "Test board"
    vendor = "Test"

    [usb.runtime]
    id = "1209:0009"

    [[usb.runtime.interfaces]]
    number = 0
    class = 0xff
    endpoints = [{ address = 0x81, type = "bulk", max_packet = 512 }]

    [usb.bootloader]
    id = "1209:000a"

    [flash]
    method = "dfu"

    [runtime]
    kind = "pinion"

    [[sensors]]
    type = "ina226"
    bus = "board"
    address = 0x40
    shunt_ohms = 0.01

    [thermal]
    warn_c = 80
    max_c = 95
    """
