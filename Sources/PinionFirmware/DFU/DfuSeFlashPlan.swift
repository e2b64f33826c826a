/// A whole DfuSe flash of a device with several alternate settings (STM32: internal flash,
/// option bytes, OTP, ...): which alternate setting each segment goes through, one
/// `DfuSeDownloadPlan` per alternate setting, and the leave request at the end.
///
/// A segment goes through the alternate setting its DfuSe target names when that setting's
/// memory holds it writable; otherwise through the lowest-numbered setting whose memory does
/// (alternate settings only select which memory the bootloader addresses). The device leaves
/// DFU mode to the first segment's address, through the setting that holds it.
public struct DfuSeFlashPlan: Sendable, Hashable {
    /// The writes through one alternate setting.
    public struct Phase: Sendable, Hashable {
        public var alternateSetting: UInt8
        public var layout: DfuSeMemoryLayout
        /// The segments written in this phase, in the order given.
        public var segments: [FirmwareSegment]
        public var plan: DfuSeDownloadPlan
    }

    /// Writes, one phase per alternate setting, in the order their first segment came.
    public let phases: [Phase]
    /// Set the address pointer to the start address and leave (zero-length DNLOAD 2); nil when not asked for.
    public let leave: Phase?
    /// Image bytes written over all phases.
    public var dataBytes: Int { phases.reduce(0) { $0 + $1.plan.dataBytes } }

    /// Plans `segments` onto a device whose alternate settings have `layouts`.
    public init(segments: [FirmwareSegment], layouts: [UInt8: DfuSeMemoryLayout], transferSize: Int,
                leave: Bool = true) throws(DfuSePlanError) {
        var order: [UInt8] = []
        var grouped: [UInt8: [FirmwareSegment]] = [:]
        var start: (address: UInt32, alternate: UInt8)?
        for (index, segment) in segments.enumerated() where !segment.data.isEmpty {
            let alternate = try Self.alternateSetting(for: segment, index: index, layouts: layouts)
            if grouped[alternate] == nil { order.append(alternate) }
            grouped[alternate, default: []].append(segment)
            if start == nil, let address = segment.address { start = (address, alternate) }
        }
        var phases: [Phase] = []
        for alternate in order {
            let layout = layouts[alternate]!
            let group = grouped[alternate]!
            do {
                phases.append(Phase(alternateSetting: alternate, layout: layout, segments: group,
                                    plan: try DfuSeDownloadPlan(segments: group, layout: layout, transferSize: transferSize)))
            } catch {
                var error = error
                // Name the segment by its place in the caller's list, not in the group.
                if let local = error.segment { error.segment = segments.firstIndex(of: group[local]) }
                throw error
            }
        }
        if leave, let start {
            let layout = layouts[start.alternate]!
            self.leave = Phase(alternateSetting: start.alternate, layout: layout, segments: [],
                               plan: try DfuSeDownloadPlan(segments: [], layout: layout, transferSize: transferSize, leaveAt: start.address))
        } else {
            self.leave = nil
        }
        self.phases = phases
    }

    /// The alternate setting `segment` is written through (see the type's comment).
    public static func alternateSetting(for segment: FirmwareSegment, index: Int,
                                        layouts: [UInt8: DfuSeMemoryLayout]) throws(DfuSePlanError) -> UInt8 {
        guard let address = segment.address else {
            throw DfuSePlanError(.noAddress, segment: index, "\(segment.data.count) bytes without an address: DfuSe writes addressed "
                                 + "segments (a DfuSe file's elements, or a raw image given its start address)")
        }
        let count = segment.data.count
        if let own = segment.alternateSetting, let layout = layouts[own], layout.allows(.writable, from: address, count: count) {
            return own
        }
        if let fit = layouts.keys.sorted().first(where: { layouts[$0]!.allows(.writable, from: address, count: count) }) {
            return fit
        }
        let end = UInt64(address) + UInt64(count)
        let memories = layouts.keys.sorted().map { "alt \($0) \(layouts[$0]!)" }.joined(separator: "; ")
        throw DfuSePlanError(.outsideMemory, segment: index, address: address,
                             "\(count) bytes at \(Hex.u32(address))-0x\(Hex.padded(end, 8))"
                             + (segment.alternateSetting.map { " (for alt \($0))" } ?? "")
                             + " fit no writable memory of the device: "
                             + (memories.isEmpty ? "it lists no memory layout" : memories))
    }
}
