import Foundation
import PinionFirmware
import PinionUSB
import Synchronization

extension EmulatedBoard {
    /// The flash memory behind a DfuSe bootloader (erased, 0xFF, until written). It survives
    /// re-enumeration, unplugging and leaving the bootloader, as flash does.
    public var dfuseMemory: EmulatedFlashMemory { state.withLock { $0.dfuseMemory } }

    /// `count` bytes of the DfuSe memory from `address`.
    public func memory(at address: UInt32, count: Int) -> [UInt8] { dfuseMemory.read(address, count: count) }

    /// How the DfuSe bootloader behaves from the next time it enumerates.
    public var dfuseBehaviour: EmulatedDfuSeDevice.Behaviour {
        get { state.withLock { $0.dfuseBehaviour } }
        set { state.withLock { $0.dfuseBehaviour = newValue } }
    }

    /// How the DfuSe bootloader was last left (jump to an address, or reset by read unprotect); nil until it is.
    public var dfuseExit: EmulatedDfuSeDevice.Exit? { state.withLock { $0.dfuseExit } }

    /// The memory layouts the bootloader's alternate settings present, by alternate setting
    /// (names that are not layouts are left out).
    public var dfuseLayouts: [UInt8: DfuSeMemoryLayout] {
        (model.bootloader?.dfuAlternateNames ?? [:]).compactMapValues { try? DfuSeMemoryLayout.parse($0) }
    }

    func storeDfuSeMemory(_ memory: EmulatedFlashMemory) {
        state.withLock { $0.dfuseMemory = memory }
    }

    /// The part left its bootloader. A jump runs the application: a board with a run-time identity
    /// comes back with it, one without (an STM32 whose application has no USB) leaves the bus;
    /// `plugIn()` is then a reset with BOOT0 high, back into the bootloader. A reset (read
    /// unprotect) comes back in the bootloader.
    func leftDfuSeBootloader(_ exit: EmulatedDfuSeDevice.Exit) {
        state.withLock { $0.dfuseExit = exit }
        switch exit {
        case .jumped where model.runtime != nil:
            reenumerateSoon(as: .runtime)
        case .jumped:
            Thread.detachNewThread { [self] in
                Thread.sleep(forTimeInterval: 0.01)
                unplug()
            }
        case .reset:
            reenumerateSoon(as: .bootloader)
        }
    }

    /// The bootloader's DfuSe behaviour from the DFU functional descriptor the model presents.
    static func dfuseBehaviour(of model: EmulatedBoardModel) -> EmulatedDfuSeDevice.Behaviour {
        var behaviour = EmulatedDfuSeDevice.Behaviour()
        if let functional = model.bootloader?.interfaces.lazy.compactMap(\.dfuFunctional).first {
            behaviour.transferSize = Int(functional.transferSize)
            behaviour.canUpload = functional.canUpload
        }
        return behaviour
    }
}

/// A DfuSe bootloader's DFU interface: class requests go to an `EmulatedDfuSeDevice` on the
/// alternate setting the host selected; the memory is kept on the board after every change.
final class BootloaderDfuSeFunction: EmulatedUSBFunction {
    private let board: EmulatedBoard
    private let interface: UInt8
    private let dfuse: Mutex<EmulatedDfuSeDevice>

    init(board: EmulatedBoard, identity: EmulatedBoardModel.Mode) {
        self.board = board
        interface = identity.interfaces.first { $0.isDFU && $0.interfaceProtocol == 2 }?.interfaceNumber ?? 0
        dfuse = Mutex(EmulatedDfuSeDevice(layouts: board.dfuseLayouts, memory: board.dfuseMemory, behaviour: board.dfuseBehaviour))
    }

    func control(_ setup: USBSetupPacket, data: [UInt8], device: EmulatedUSBDevice) -> EmulatedUSBResponse? {
        guard setup.kind == .class, setup.recipient == .interface, setup.index == UInt16(interface) else { return nil }
        let alternate = device.alternateSetting(of: interface)
        let (reply, memory, exit) = dfuse.withLock { dfuse -> (EmulatedDFUDevice.Reply?, EmulatedFlashMemory?, EmulatedDfuSeDevice.Exit?) in
            // Once it has left, it no longer answers: it is off the bus, or about to be.
            guard dfuse.exit == nil else { return (nil, nil, nil) }
            dfuse.selectAlternateSetting(alternate)
            let reply = dfuse.handle(request: setup.request, value: setup.value, length: setup.length, data: data)
            return (reply, dfuse.memory, dfuse.exit)
        }
        // A copy shares its pages: storing after every request costs a reference, not the bytes.
        if let memory { board.storeDfuSeMemory(memory) }
        if let exit { board.leftDfuSeBootloader(exit) }
        switch reply {
        case .data(let bytes): return .data(bytes)
        case .accepted: return .accepted(data.count)
        case .stall: return .stall
        case nil: return .disconnected
        }
    }

    /// A USB reset restarts the bootloader (BOOT0 is still high).
    func busReset(device: EmulatedUSBDevice) {
        board.reenumerateSoon(as: .bootloader)
    }
}
