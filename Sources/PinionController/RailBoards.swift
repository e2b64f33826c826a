import PinionSensors
import Synchronization

/// The board each rail powers (`[[sensors]] board`), as the configuration in force says: the energy
/// meter and the energy feedback ask it for every reading, and a reload (`LiveSampling.apply`)
/// replaces it.
public final class RailBoards: Sendable {
    private let lookup: Mutex<@Sendable (SensorSource) -> String?>

    public init(_ configuration: GatewayConfiguration) {
        lookup = Mutex(SensorSampling.boardsByRail(configuration))
    }

    /// The serial of the board the rail `source` measures powers, if any.
    public func board(of source: SensorSource) -> String? {
        lookup.withLock { $0 }(source)
    }

    /// Takes the rails' boards from `configuration` from now on.
    public func update(_ configuration: GatewayConfiguration) {
        let boards = SensorSampling.boardsByRail(configuration)
        lookup.withLock { $0 = boards }
    }
}
