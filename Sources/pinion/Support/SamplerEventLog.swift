import Foundation
import Logging
import PinionSensors

/// Reports sensor health as the controller's samplers see it: a line when a sensor becomes
/// degraded (with the error, which names chip, bus and address) and when it recovers. Samples
/// themselves go to the energy meter, not to the log.
struct SamplerEventLog: SamplerSink {
    let json: Bool

    func receive(_ event: SamplerEvent) {
        switch event {
        case .sample:
            return
        case .degraded(let source, let error, let at, let failures):
            if json {
                struct Line: Encodable { var event = "sensor-degraded"; var sensor: String; var error: String; var at: Double; var failures: Int }
                try? JSONOutput.printLine(Line(sensor: source.description, error: "\(error)", at: at, failures: failures))
            } else {
                write(level: .warning, "sensor degraded: \(source): \(error) (\(failures) failures in a row; retrying with backoff, its energy is a gap until it answers)")
            }
        case .recovered(let source, let at, let down):
            if json {
                struct Line: Encodable { var event = "sensor-recovered"; var sensor: String; var at: Double; var downSeconds: Double }
                try? JSONOutput.printLine(Line(sensor: source.description, at: at, downSeconds: down))
            } else {
                write(level: .notice, "sensor recovered: \(source) after \(String(format: "%.1f", down)) s")
            }
        }
    }

    private func write(level: Logger.Level, _ line: String) {
        LogOutput.write(line, level: level, toStandardError: false)
    }
}
