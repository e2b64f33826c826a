import PinionEmulator
import PinionI2C
import Synchronization

/// A test device that records what it was sent and answers reads from a script.
final class ScriptedDevice: EmulatedI2CDevice {
    private struct State {
        var events: [String] = []
        var replies: [UInt8]
        var nackAfter: Int?
        var written = 0
    }

    private let state: Mutex<State>

    init(replies: [UInt8] = [], nackAfter: Int? = nil) {
        state = Mutex(State(replies: replies, nackAfter: nackAfter))
    }

    var events: [String] { state.withLock { $0.events } }

    func start(_ direction: I2CDirection) { state.withLock { $0.events.append("start \(direction)") } }

    func write(_ byte: UInt8) -> Bool {
        state.withLock { state in
            state.events.append("write \(byte)")
            state.written += 1
            return state.nackAfter.map { state.written <= $0 } ?? true
        }
    }

    func read() -> UInt8 {
        state.withLock { state in
            let byte = state.replies.isEmpty ? 0xFF : state.replies.removeFirst()
            state.events.append("read \(byte)")
            return byte
        }
    }

    func stop() { state.withLock { $0.events.append("stop") } }
}
