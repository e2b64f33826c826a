/// Finds chips on a bus the way `i2cdetect` does, rule for rule (i2c-tools 4.x, tools/i2cdetect.c).
///
/// Default (auto) mode probes 0x08–0x77: SMBus receive byte at 0x30–0x37 and 0x50–0x5F (quick
/// write can corrupt EEPROMs such as the AT24RF08 there), SMBus quick write elsewhere. An
/// address whose probe the adapter cannot do is skipped (a blank in the grid) and the result
/// carries a warning, as i2cdetect prints one; a bus that can do neither probe is an error.
/// Selecting an address that a kernel driver holds fails with EBUSY: shown as `UU`, not probed.
/// Any other failure to select an address stops the scan, as it stops i2cdetect. A NACK means
/// absent; any other probe failure is kept in the result (the grid shows `--`, like i2cdetect).
///
/// Probing writes to the bus: quick write and receive byte are harmless for most chips but
/// not all. Scans are sequential; the bus serialises them with other users.
public struct I2CScanner: Sendable {
    /// Which probe to use where: i2cdetect's default, `-q` and `-r`.
    public enum Mode: String, Hashable, Sendable, Codable, CaseIterable {
        /// Receive byte at 0x30–0x37 and 0x50–0x5F, quick write elsewhere (i2cdetect's default).
        case auto
        /// Quick write everywhere (i2cdetect -q).
        case quickWrite
        /// Receive byte everywhere (i2cdetect -r).
        case receiveByte
    }

    /// The transaction that probes one address.
    public enum Probe: String, Hashable, Sendable, Codable {
        /// SMBus quick command with R/W = write.
        case quickWrite
        /// SMBus receive byte.
        case receiveByte

        /// The adapter capability the probe needs.
        public var requiredFunctionality: I2CFunctionality {
            self == .quickWrite ? .smbusQuick : .smbusReadByte
        }
    }

    public var mode: Mode
    /// The addresses to probe; i2cdetect's default is 0x08–0x77, `-a` is 0x00–0x7F.
    public var range: ClosedRange<I2CAddress>

    public init(mode: Mode = .auto, range: ClosedRange<I2CAddress> = I2CAddress.defaultScanRange) {
        self.mode = mode
        self.range = range
    }

    /// The probe `mode` uses at `address`.
    public static func probe(for address: I2CAddress, mode: Mode) -> Probe {
        switch mode {
        case .quickWrite: return .quickWrite
        case .receiveByte: return .receiveByte
        case .auto:
            let value = address.rawValue
            return (0x30...0x37).contains(value) || (0x50...0x5F).contains(value) ? .receiveByte : .quickWrite
        }
    }

    /// Probes every address in `range` and returns what answered.
    public func scan(_ bus: any I2CBus) throws(I2CError) -> I2CScanResult {
        let functionality = try bus.functionality()
        let warnings = try checkedWarnings(functionality, bus: bus.name)
        var entries: [I2CScanResult.Entry] = []
        for address in I2CAddress.all where range.contains(address) {
            let probe = Self.probe(for: address, mode: mode)
            guard functionality.contains(probe.requiredFunctionality) else {
                entries.append(.init(address: address, probe: probe, status: .notProbed))
                continue
            }
            entries.append(try self.probe(address, with: probe, on: bus))
        }
        return I2CScanResult(bus: bus.name, mode: mode, first: range.lowerBound, last: range.upperBound,
                             functionality: functionality, entries: entries, warnings: warnings)
    }

    private func probe(_ address: I2CAddress, with probe: Probe, on bus: any I2CBus) throws(I2CError) -> I2CScanResult.Entry {
        do throws(I2CError) {
            switch probe {
            case .quickWrite: try bus.quickWrite(address: address)
            case .receiveByte: _ = try bus.readByte(address: address)
            }
            return .init(address: address, probe: probe, status: .present)
        } catch {
            if error.isAddressClaimed { return .init(address: address, probe: probe, status: .busy) }
            if error.operation == .setAddress { throw error }
            if error.code == .noAcknowledge { return .init(address: address, probe: probe, status: .absent) }
            return .init(address: address, probe: probe, status: .failed, error: error)
        }
    }

    private func checkedWarnings(_ functionality: I2CFunctionality, bus: String) throws(I2CError) -> [String] {
        let canQuick = functionality.contains(.smbusQuick)
        let canReceive = functionality.contains(.smbusReadByte)
        func refuse(_ detail: String) -> I2CError {
            I2CError(.notSupported, operation: .named("scan"), bus: bus, detail: detail)
        }
        if !canQuick && !canReceive { throw refuse("the adapter supports neither SMBus quick write nor receive byte, so it cannot be scanned") }
        switch mode {
        case .quickWrite where !canQuick: throw refuse("the adapter cannot do SMBus quick write; scan in receive-byte mode")
        case .receiveByte where !canReceive: throw refuse("the adapter cannot do SMBus receive byte; scan in quick-write mode")
        case .auto:
            var warnings: [String] = []
            if !canQuick {
                warnings.append("\(bus) cannot do SMBus quick write: addresses probed with it are skipped (blank); scan in receive-byte mode to probe them")
            }
            if !canReceive {
                warnings.append("\(bus) cannot do SMBus receive byte: 0x30-0x37 and 0x50-0x5f are skipped (blank); scan in quick-write mode to probe them")
            }
            return warnings
        default: return []
        }
    }
}
