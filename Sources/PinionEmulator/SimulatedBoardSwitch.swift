import Synchronization

/// Unplugs and plugs back the simulated gateway's NPU boards at run time, as a technician pulling
/// a cable would: `pinion run --simulate` does it on SIGUSR1 (unplug the next board that is in)
/// and SIGUSR2 (plug back the board unplugged longest ago), so users, tests and the fault campaign
/// can see a board leave mid-task.
public final class SimulatedBoardSwitch: Sendable {
    private let boards: [EmulatedBoard]
    private let state = Mutex(State())

    private struct State {
        var next = 0
        var unplugged: [EmulatedBoard] = []
    }

    /// The switch for `gateway`'s boards that run inference (those with an NPU).
    public init(gateway: SimulatedGateway) {
        boards = gateway.boards.filter { $0.model.npu != nil }
    }

    /// Unplugs the next board that is plugged in (round robin); its serial, or nil when all are out.
    public func unplugNext() -> String? {
        let board: EmulatedBoard? = state.withLock { state in
            let plugged = boards.filter { board in !state.unplugged.contains { $0 === board } }
            guard !plugged.isEmpty else { return nil }
            let board = plugged[state.next % plugged.count]
            state.next += 1
            state.unplugged.append(board)
            return board
        }
        board?.unplug()
        return board?.serial
    }

    /// Plugs back the board unplugged longest ago; its serial, or nil when none is out.
    public func plugBack() -> String? {
        let board: EmulatedBoard? = state.withLock { state in
            state.unplugged.isEmpty ? nil : state.unplugged.removeFirst()
        }
        board?.plugIn()
        return board?.serial
    }
}
