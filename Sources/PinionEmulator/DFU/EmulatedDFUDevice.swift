import PinionFirmware

/// The emulated bootloaders' DFU device side: `DFUDeviceMachine`, which `pinion-board` runs too.
public typealias EmulatedDFUDevice = DFUDeviceMachine
