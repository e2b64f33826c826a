import PinionEmulator
import PinionI2C

/// One register access as a driver makes it, in the chip's terms: 16-bit values in the chip's
/// order (the recorder sees SMBus words, low byte first; these are swapped back).
enum RegisterAccess: Hashable, CustomStringConvertible {
    case read16(UInt8)
    case write16(UInt8, UInt16)
    case read8(UInt8)
    case write8(UInt8, UInt8)
    case readBlock(UInt8, Int)
    /// Anything else: a transaction drivers should not make.
    case other(String)

    var description: String {
        switch self {
        case .read16(let r): "R16 0x\(String(r, radix: 16))"
        case .write16(let r, let v): "W16 0x\(String(r, radix: 16)) = 0x\(String(v, radix: 16))"
        case .read8(let r): "R8 0x\(String(r, radix: 16))"
        case .write8(let r, let v): "W8 0x\(String(r, radix: 16)) = 0x\(String(v, radix: 16))"
        case .readBlock(let r, let n): "RB 0x\(String(r, radix: 16)) ×\(n)"
        case .other(let text): text
        }
    }
}

extension I2CRecorder {
    /// The register accesses recorded (optionally at one address), oldest first.
    func accesses(at address: I2CAddress? = nil) -> [RegisterAccess] {
        recorded.compactMap { entry in
            switch entry.operation {
            case .transfer(let messages):
                return .other("I2C_RDWR transfer \(messages)")
            case .smbus(let transaction, let target):
                if let address, target != address { return nil }
                switch transaction {
                case .readWordData(let r): return .read16(r)
                case .writeWordData(let r, let v): return .write16(r, v.byteSwapped)
                case .readByteData(let r): return .read8(r)
                case .writeByteData(let r, let v): return .write8(r, v)
                case .readI2CBlockData(let r, let n): return .readBlock(r, n)
                default: return .other(transaction.description)
                }
            }
        }
    }
}

/// An emulated bus with one of each chip (INA219 0x40, INA226 0x41, INA3221 0x42, INA228 0x44,
/// LM75 0x48, TMP102 0x49) and a recorder on its chokepoint.
struct Bench {
    let chips: EmulatedI2CChipSet
    let recorder = I2CRecorder()
    var bus: EmulatedI2CBus { chips.bus }

    init(name: String = "i2c-3", functionality: I2CFunctionality = EmulatedI2CBus.defaultFunctionality) {
        chips = EmulatedI2CChipSet(name: name, functionality: functionality)
        chips.bus.taps.add(recorder)
    }

    /// Forgets what was recorded and logged so far (set-up transactions).
    func clear() {
        recorder.clear()
        bus.clearLog()
    }
}

/// |a − b| ≤ tolerance.
func close(_ a: Double, _ b: Double, _ tolerance: Double = 1e-12) -> Bool { abs(a - b) <= tolerance }

/// |a − b| ≤ relative × |b|.
func closeRelative(_ a: Double, _ b: Double, _ relative: Double = 1e-12) -> Bool { abs(a - b) <= relative * abs(b) }
