import Dispatch
import Glibc
import PinionEmulator

/// SIGUSR1 and SIGUSR2 for `pinion run --simulate`: unplug an emulated NPU board, plug one back.
/// Each change is said in one line; the controller sees it as a real hotplug event.
enum SimulatedBoardSignals {
    /// Installs the handlers; the returned sources must be kept for as long as they should work.
    static func install(_ boardSwitch: SimulatedBoardSwitch, log: @escaping @Sendable (String) -> Void) -> [any DispatchSourceSignal] {
        let queue = DispatchQueue(label: "pinion.simulate.signals")
        return [(SIGUSR1, true), (SIGUSR2, false)].map { number, unplug in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: queue)
            source.setEventHandler {
                if unplug {
                    log(boardSwitch.unplugNext().map { "simulate: unplugged \($0) (SIGUSR1)" } ?? "simulate: SIGUSR1, but every board is unplugged")
                } else {
                    log(boardSwitch.plugBack().map { "simulate: plugged \($0) back in (SIGUSR2)" } ?? "simulate: SIGUSR2, but no board is unplugged")
                }
            }
            source.resume()
            return source
        }
    }
}
