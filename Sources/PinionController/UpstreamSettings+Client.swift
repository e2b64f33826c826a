import Foundation
import PinionUpstream

extension UpstreamSettings {
    /// How to reach and log in to the broker, as `[upstream]` says, under `clientID`. The password
    /// file must be readable now (a wrong path is a mistake in the configuration); the client reads
    /// it again before each connection attempt, as it does the TLS files, so that a password or a
    /// certificate replaced in place is used without a restart.
    public func clientOptions(clientID: String) throws -> MQTTClient.Options {
        var options = MQTTClient.Options(host: host, port: port, clientID: clientID)
        options.protocolVersion5 = mqtt5
        options.sessionExpirySeconds = sessionExpirySeconds
        options.username = username
        if let passwordFile {
            guard FileManager.default.isReadableFile(atPath: passwordFile) else {
                throw ControllerError("[upstream] password_file \(passwordFile) cannot be read")
            }
            options.passwordFile = passwordFile
        }
        options.caFile = caFile
        options.certificateFile = certificateFile
        options.keyFile = keyFile
        return options
    }
}
