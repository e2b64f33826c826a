/// One parser of outside bytes, driven the way production drives it. Thrown errors are the
/// parser doing its job; only a crash, a hang or a leak is a finding.
struct FuzzTarget: Sendable {
    let name: String
    let summary: String
    let run: @Sendable ([UInt8]) -> Void

    static let all: [FuzzTarget] = [
        .boardFrames, .usbDescriptors, .firmwareImages, .gatewayConfiguration, .boardCatalogue,
        .apiTasks, .mqttTasks, .sparkplugCommands, .ledgerLines,
    ]

    static func named(_ name: String) -> FuzzTarget? { all.first { $0.name == name } }
}

extension Array where Element == UInt8 {
    /// The bytes as text the way a file is read (`String(contentsOfFile:encoding: .utf8)`): nil unless valid UTF-8.
    var utf8Text: String? { String(validating: self, as: UTF8.self) }
}
