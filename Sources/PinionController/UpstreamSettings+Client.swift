import Foundation
import PinionUpstream

extension UpstreamSettings {
    /// How to reach and log in to the broker, as `[upstream]` says, under `clientID`.
    public func clientOptions(clientID: String) throws -> MQTTClient.Options {
        var options = MQTTClient.Options(host: host, port: port, clientID: clientID)
        options.protocolVersion5 = mqtt5
        options.username = username
        if let passwordFile {
            guard let data = FileManager.default.contents(atPath: passwordFile) else {
                throw ControllerError("[upstream] password_file \(passwordFile) cannot be read")
            }
            options.password = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        }
        options.caFile = caFile
        options.certificateFile = certificateFile
        options.keyFile = keyFile
        return options
    }
}
