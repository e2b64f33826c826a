import PinionFirmware
import Testing

/// When the host waits during a download (DFU 1.1 §6.1.2): bwPollTimeout is the time before the
/// next GETSTATUS, so the host waits it while the device is busy (dfuDNBUSY) or manifesting, and
/// sends the next DNLOAD at once when the device says dfuDNLOAD-IDLE, whatever bwPollTimeout that
/// reply carries (many bootloaders report the same value in every reply), as dfu-util does.
@Suite("DFU download pacing")
struct DFUDownloadPacingTests {
    static let image: [UInt8] = (0..<8192).map { UInt8(truncatingIfNeeded: $0) }

    static func status(_ state: DFUState, poll: UInt32) -> DFUDownloadMachine.Event {
        .status(DFUStatus(status: .ok, pollTimeoutMilliseconds: poll, state: state))
    }

    @Test func waitsOnlyBeforePollingABusyDeviceNeverBeforeTheNextBlock() {
        var machine = DFUDownloadMachine(image: Self.image, transferSize: 4096)
        let first = Array(Self.image[0..<4096]), second = Array(Self.image[4096...])
        let exchange: [(DFUDownloadMachine.Event, DFUDownloadMachine.Action)] = [
            (.start, .getStatus),
            (Self.status(.idle, poll: 40), .download(block: 0, data: first)),
            (.accepted, .getStatus),
            (Self.status(.downloadBusy, poll: 40), .wait(milliseconds: 40)),
            (.waited, .getStatus),
            (Self.status(.downloadIdle, poll: 40), .download(block: 1, data: second)),
            (.accepted, .getStatus),
            (Self.status(.downloadIdle, poll: 40), .download(block: 2, data: [])),
            (.accepted, .getStatus),
            (Self.status(.manifest, poll: 40), .wait(milliseconds: 40)),
            (.waited, .getStatus),
            (Self.status(.idle, poll: 40), .finished(.manifested)),
        ]
        for (index, (event, expected)) in exchange.enumerated() {
            let action = machine.next(event)
            #expect(Self.brief(action) == Self.brief(expected), "step \(index): \(event)")
            #expect(action == expected, "step \(index): the block's bytes")
            guard action == expected else { return }
        }
        #expect(machine.bytesDone == Self.image.count)
    }

    /// An action as a line to compare, a block's bytes summarised as its length.
    static func brief(_ action: DFUDownloadMachine.Action) -> String {
        guard case .download(let block, let data) = action else { return "\(action)" }
        return "download(block: \(block), \(data.count) bytes)"
    }

    @Test func aDeviceIdleWithAPollTimeoutAfterTheLastBlockGetsTheEndAtOnce() {
        var machine = DFUDownloadMachine(image: Array(Self.image[0..<100]), transferSize: 4096)
        #expect(machine.next(.start) == .getStatus)
        #expect(machine.next(Self.status(.idle, poll: 0)) == .download(block: 0, data: Array(Self.image[0..<100])), "block 0")
        #expect(machine.next(.accepted) == .getStatus)
        #expect(machine.next(Self.status(.downloadSync, poll: 25)) == .wait(milliseconds: 25), "dfuDNLOAD-SYNC is polled after bwPollTimeout too")
        #expect(machine.next(.waited) == .getStatus)
        #expect(Self.brief(machine.next(Self.status(.downloadIdle, poll: 25))) == Self.brief(.download(block: 1, data: [])))
    }
}
