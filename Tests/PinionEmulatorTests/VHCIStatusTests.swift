import Testing
@testable import PinionEmulator

@Suite("vhci-hcd status parsing and port choice")
struct VHCIStatusTests {
    /// A controller's status file as vhci-hcd (Linux 6.x) writes it, with `used` hs ports taken.
    func statusFile(controller: Int, used: Int) -> String {
        var lines = ["hub port sta spd dev      sockfd local_busid"]
        for index in 0..<8 {
            let port = controller * 16 + index
            lines.append(index < used
                ? String(format: "hs  %04d 006 003 %08x %06d 1-%d", port, 0x10002 + index, 3, index + 1)
                : String(format: "hs  %04d 004 000 00000000 000000 0-0", port))
        }
        for index in 8..<16 {
            lines.append(String(format: "ss  %04d 004 000 00000000 000000 0-0", controller * 16 + index))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    @Test func parsesEveryPortLineAndSkipsTheHeader() {
        let status = VHCIStatus(parsing: statusFile(controller: 1, used: 2))
        #expect(status.ports.count == 16)
        #expect(status.ports.first == .init(hub: "hs", number: 16, isFree: false))
        #expect(status.ports[2] == .init(hub: "hs", number: 18, isFree: true))
        #expect(status.ports.last == .init(hub: "ss", number: 31, isFree: true))
    }

    @Test func choosesTheLeastLoadedControllerWithTiesToTheFirst() {
        let controllers = [2, 1, 1, 3].enumerated().map { VHCIStatus(parsing: statusFile(controller: $0.offset, used: $0.element)) }
        #expect(VHCIStatus.leastLoadedFreePort(hub: "hs", controllers: controllers) == 16 + 1)
        #expect(VHCIStatus.leastLoadedFreePort(hub: "ss", controllers: controllers) == 16 + 8)
    }

    @Test func skipsFullControllersAndReportsNoneWhenAllAreFull() {
        let full = VHCIStatus(parsing: statusFile(controller: 0, used: 8))
        let busy = VHCIStatus(parsing: statusFile(controller: 1, used: 7))
        #expect(VHCIStatus.leastLoadedFreePort(hub: "hs", controllers: [full, busy]) == 16 + 7)
        #expect(VHCIStatus.leastLoadedFreePort(hub: "hs", controllers: [full]) == nil)
    }
}
