import Foundation
import PinionBoardLink
import PinionBoards
import PinionEmulator
import PinionUSB
import Synchronization
import Testing

/// A clock the test moves by hand; counts how often it was read.
final class ManualDeadlineClock: DeadlineClock {
    private let state = Mutex((offset: Duration.zero, reads: 0))
    private let start = ContinuousClock.now

    var now: ContinuousClock.Instant {
        state.withLock { state in
            state.reads += 1
            return start + state.offset
        }
    }

    var reads: Int { state.withLock { $0.reads } }

    func advance(by duration: Duration) { state.withLock { $0.offset += duration } }
}

@Suite("Board connection deadlines on a manual clock")
struct BoardConnectionClockTests {
    /// A request to a board whose replies never arrive fails once its deadline has passed on the
    /// connection's clock: a one-hour timeout fires as soon as the clock is moved past it.
    @Test func aRequestTimesOutWhenItsClockPassesTheDeadline() async throws {
        let faults = USBFaultInjector()
        let silent = SimulatedGateway(catalogue: try BoardCatalogue.load(directories: [EmulatedBoardLinkTests.root.appendingPathComponent("boards").path]),
                                      taps: [faults])
        defer { silent.shutdown() }
        let info = try #require(try silent.usb.devices(readStrings: true).first { $0.strings?.serialNumber == "EMU-S-0001" })
        let clock = ManualDeadlineClock()
        let link = try BoardConnection(device: try silent.usb.open(info.location), defaultTimeout: .seconds(5), clock: clock)
        defer { link.close() }
        // Before any request: no bulk IN transfer is under way that could pass the rule.
        faults.fail(.timeout, matching: .endpoint(0x81), times: .max)
        let started = ContinuousClock.now
        let request = Task { try await link.request(.hello(protocolVersion: BoardFrame.version), timeout: .seconds(3600)) }
        // The request read the clock for its deadline when it was registered.
        while clock.reads == 0 && ContinuousClock.now - started < .seconds(10) { await Task.yield() }
        clock.advance(by: .seconds(3601))
        do {
            _ = try await request.value
            Issue.record("a request whose reply was never read succeeded")
        } catch let error as BoardLinkError {
            guard case .timeout(_, let seconds) = error else { Issue.record("expected a timeout, got \(error)"); return }
            #expect(seconds == 3600)
        }
        // Any bound far below the hour shows the manual clock decided; 60 s leaves room for a loaded machine.
        #expect(ContinuousClock.now - started < .seconds(60), "the timeout fired on the manual clock, not after an hour")
    }
}
