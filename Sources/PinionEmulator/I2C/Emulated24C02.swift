import PinionI2C
import Synchronization

/// A 24C02 serial EEPROM: 256 bytes, erased to 0xFF, 8-byte pages. The first byte of a write
/// sets the address counter; further bytes are stored at it, rolling over within the page;
/// reads return the byte at the counter and advance it, rolling over at 256 (so SMBus receive
/// byte — i2cdetect's probe at 0x50–0x5F — is a "current address read"). Write-cycle time is not modelled.
public final class Emulated24C02: EmulatedI2CDevice {
    /// 256 bytes.
    public static let size = 256
    /// 8-byte write pages.
    public static let pageSize = 8

    private struct State {
        var memory = [UInt8](repeating: 0xFF, count: Emulated24C02.size)
        var counter: UInt8 = 0
        var bytesWritten = 0
    }

    private let state = Mutex(State())

    public init(contents: [UInt8] = []) {
        load(contents, at: 0)
    }

    /// Writes `bytes` into memory from `offset` (no paging, no wire traffic): a programmed image.
    public func load(_ bytes: [UInt8], at offset: Int) {
        state.withLock { state in
            for (index, byte) in bytes.enumerated() where offset + index < Self.size {
                state.memory[offset + index] = byte
            }
        }
    }

    /// The whole memory.
    public var contents: [UInt8] { state.withLock { $0.memory } }

    public func start(_ direction: I2CDirection) {
        state.withLock { $0.bytesWritten = 0 }
    }

    public func write(_ byte: UInt8) -> Bool {
        state.withLock { state in
            if state.bytesWritten == 0 {
                state.counter = byte
            } else {
                state.memory[Int(state.counter)] = byte
                let page = state.counter & ~UInt8(Self.pageSize - 1)
                state.counter = page | ((state.counter &+ 1) & UInt8(Self.pageSize - 1))
            }
            state.bytesWritten += 1
        }
        return true
    }

    public func read() -> UInt8 {
        state.withLock { state in
            defer { state.counter &+= 1 }
            return state.memory[Int(state.counter)]
        }
    }

    public func stop() {}
}
