import PinionI2C
import Synchronization

/// One register of a pointer-addressed chip, per its datasheet's register map.
struct RegisterSpec: Sendable {
    /// Bytes on the wire, most significant first.
    var width: Int
    /// Power-on reset value.
    var reset: UInt64
    /// Bits a write changes; 0 for a read-only register (writes ignored).
    var writableMask: UInt64

    static func readOnly(_ width: Int = 2, reset: UInt64 = 0) -> RegisterSpec {
        RegisterSpec(width: width, reset: reset, writableMask: 0)
    }

    static func readWrite(_ width: Int = 2, reset: UInt64 = 0, mask: UInt64? = nil) -> RegisterSpec {
        RegisterSpec(width: width, reset: reset, writableMask: mask ?? (width >= 8 ? .max : (1 << (8 * width)) - 1))
    }

    var isWritable: Bool { writableMask != 0 }
}

/// The registers of a chip and the state of its pointer-register protocol: the first byte of a
/// write sets the pointer; following bytes (MSB first) replace the register's writable bits once
/// all `width` bytes have arrived; a read returns the pointed register MSB first, cycling.
struct RegisterFile: Sendable {
    /// Indexed by register address (nil where the chip has none): a table, not a dictionary, as
    /// every byte on the emulated wire looks registers up, 100 times a second per sampled chip.
    private var specs: [RegisterSpec?]
    /// Bits of the pointer byte the chip decodes (LM75 and TMP102 decode 2).
    var pointerMask: UInt8
    var pointer: UInt8 = 0
    /// Indexed by register address.
    private var values: [UInt64]

    private var writing = false
    private var bytesWritten = 0
    private var pending: [UInt8] = []
    /// The register a read latched, sent MSB first, cycling; width 0 before any read.
    private var latchedWord: UInt64 = 0
    private var latchedWidth = 0
    private var readIndex = 0

    init(_ specs: [UInt8: RegisterSpec], pointerMask: UInt8 = 0xFF) {
        var table = [RegisterSpec?](repeating: nil, count: 256)
        var values = [UInt64](repeating: 0, count: 256)
        for (register, spec) in specs {
            table[Int(register)] = spec
            values[Int(register)] = spec.reset
        }
        self.specs = table
        self.pointerMask = pointerMask
        self.values = values
    }

    subscript(register: UInt8) -> UInt64 {
        get { values[Int(register)] }
        set { values[Int(register)] = newValue }
    }

    /// Puts every writable register back to its power-on value (a software reset).
    mutating func resetWritableRegisters() {
        for register in specs.indices {
            if let spec = specs[register], spec.isWritable { values[register] = spec.reset }
        }
    }

    /// Stores a write into the writable bits of `register`, leaving read-only bits alone.
    mutating func store(_ value: UInt64, in register: UInt8) {
        guard let spec = specs[Int(register)], spec.isWritable else { return }
        values[Int(register)] = (self[register] & ~spec.writableMask) | (value & spec.writableMask)
    }

    fileprivate mutating func begin(_ direction: I2CDirection, value: (UInt8, inout RegisterFile) -> UInt64) {
        switch direction {
        case .write:
            writing = true
            bytesWritten = 0
            pending = []
        case .read:
            writing = false
            latchedWidth = specs[Int(pointer)]?.width ?? 2
            latchedWord = value(pointer, &self)
            readIndex = 0
        }
    }

    /// Takes one written byte; returns the completed (register, value) when a register's last byte arrived.
    fileprivate mutating func accept(_ byte: UInt8) -> (UInt8, UInt64)? {
        defer { bytesWritten += 1 }
        if bytesWritten == 0 {
            pointer = byte & pointerMask
            return nil
        }
        let width = specs[Int(pointer)]?.width ?? 2
        guard bytesWritten <= width else { return nil }
        pending.append(byte)
        guard pending.count == width else { return nil }
        return (pointer, pending.reduce(0) { $0 << 8 | UInt64($1) })
    }

    fileprivate mutating func nextReadByte() -> UInt8 {
        guard latchedWidth > 0 else { return 0xFF }
        defer { readIndex += 1 }
        let byte = latchedWidth - 1 - readIndex % latchedWidth
        return UInt8(truncatingIfNeeded: latchedWord >> (8 * UInt64(byte)))
    }
}

/// The wire side of a pointer-register chip, shared by the INA2xx, LM75 and TMP102 models. The
/// chip supplies what a register reads as (for computed registers and read-to-clear flags) and
/// what a write does (for reset bits); the defaults read the stored value and store writes.
final class RegisterChipCore: Sendable {
    typealias ReadHook = @Sendable (UInt8, inout RegisterFile) -> UInt64
    typealias WriteHook = @Sendable (UInt8, UInt64, inout RegisterFile) -> Void

    private let file: Mutex<RegisterFile>
    private let readHook: ReadHook
    private let writeHook: WriteHook

    init(_ file: RegisterFile,
         read: @escaping ReadHook = { register, file in file[register] },
         write: @escaping WriteHook = { register, value, file in file.store(value, in: register) }) {
        self.file = Mutex(file)
        self.readHook = read
        self.writeHook = write
    }

    func withFile<T>(_ body: (inout RegisterFile) -> T) -> T { file.withLock { body(&$0) } }

    /// What `register` reads as now, with the read's side effects.
    func read(register: UInt8) -> UInt64 { file.withLock { readHook(register, &$0) } }

    func start(_ direction: I2CDirection) {
        file.withLock { $0.begin(direction, value: readHook) }
    }

    func write(_ byte: UInt8) -> Bool {
        file.withLock { file in
            if let (register, value) = file.accept(byte) { writeHook(register, value, &file) }
        }
        return true
    }

    func read() -> UInt8 { file.withLock { $0.nextReadByte() } }
}
