/// One vhci-hcd controller's port table, as its sysfs `status` file lists it:
/// `hub port sta spd dev sockfd local_busid`, one line a port, port numbers global.
public struct VHCIStatus: Sendable, Equatable {
    /// One port line: which root hub (`hs` or `ss`), its global number, and whether it is free.
    public struct Port: Sendable, Equatable {
        public let hub: String
        public let number: Int
        public let isFree: Bool
    }

    /// The port lines understood; the header and anything malformed are not ports.
    public let ports: [Port]

    /// `VDEV_ST_NULL`: nothing attached on the port.
    static let freeState = "004"

    public init(parsing text: String) {
        ports = text.split(separator: "\n").compactMap { line in
            let columns = line.split(separator: " ", omittingEmptySubsequences: true)
            guard columns.count >= 3, columns[0] == "hs" || columns[0] == "ss", let number = Int(columns[1]) else {
                return nil
            }
            return Port(hub: String(columns[0]), number: number, isFree: columns[2] == Self.freeState)
        }
    }

    /// The first free `hub` port of the controller with the fewest occupied ports (ties go to
    /// the lower-numbered controller), or nil when every such port is taken.
    public static func leastLoadedFreePort(hub: String, controllers: [VHCIStatus]) -> Int? {
        let candidates = controllers.compactMap { controller -> (occupied: Int, port: Int)? in
            guard let free = controller.ports.first(where: { $0.hub == hub && $0.isFree }) else { return nil }
            return (controller.ports.filter { !$0.isFree }.count, free.number)
        }
        return candidates.min { $0.occupied < $1.occupied }?.port
    }
}
