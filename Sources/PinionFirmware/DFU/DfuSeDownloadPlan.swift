/// The DNLOAD steps that write addressed segments through one DfuSe alternate setting (AN3156),
/// for `DFUDownloadMachine`. Per segment: erase each erasable sector it touches that is not
/// erased yet (0x41 + address), set the address pointer to the segment (0x21 + address), then data
/// blocks numbered from 2, block n landing at pointer + (n − 2) × transferSize. Optionally a final
/// "leave": set the address pointer to the start address, then a zero-length DNLOAD numbered 2
/// after which the bootloader jumps there.
///
/// Everything is checked before a step is made: every byte must fall in a writable sector of the
/// layout and no two segments may overlap; otherwise the plan is refused with a one-line
/// `DfuSePlanError` naming the segment, the address and the memory.
public struct DfuSeDownloadPlan: Sendable, Hashable {
    /// How sectors get erased before they are written.
    public enum Erase: Sendable, Hashable {
        /// Each erasable sector a segment touches, once; sectors in `alreadyErased` (start
        /// addresses) are skipped. Writable sectors that cannot be erased (OTP) are written as they are.
        case sectors(alreadyErased: Set<UInt32> = [])
        /// One mass erase (0x41 alone) before anything else; no sector erases.
        case mass
        /// None: the caller erased already.
        case none
    }

    public let steps: [DFUDownloadStep]
    /// `.manifestWithBlock(2)` with a leave, `.none` without.
    public let ending: DFUDownloadEnding
    /// Start addresses of the sectors the plan erases, in order.
    public let erasedSectors: [UInt32]
    /// Image bytes the plan writes.
    public let dataBytes: Int

    /// Plans writing `segments` (each must have an address) through the alternate setting whose
    /// memory is `layout`, in blocks of `transferSize`; `leaveAt` adds the leave request.
    public init(segments: [FirmwareSegment], layout: DfuSeMemoryLayout, transferSize: Int, erase: Erase = .sectors(),
                leaveAt: UInt32? = nil) throws(DfuSePlanError) {
        guard transferSize > 0 else {
            throw DfuSePlanError(.badTransferSize, "a transfer size of \(transferSize) bytes: it must be at least 1")
        }
        let writes = try Self.check(segments, in: layout)
        var steps: [DFUDownloadStep] = []
        var erased: [UInt32] = []
        var done: Set<UInt32>
        switch erase {
        case .sectors(let alreadyErased): done = alreadyErased
        case .mass: steps.append(DfuSeCommand.massErase.step); done = []
        case .none: done = []
        }
        for (address, data, sectors) in writes {
            if case .sectors = erase {
                for sector in sectors where sector.access.contains(.erasable) && !done.contains(sector.address) {
                    done.insert(sector.address)
                    erased.append(sector.address)
                    steps.append(DfuSeCommand.erase(sector.address).step)
                }
            }
            steps += Self.dataSteps(data, at: address, transferSize: transferSize)
        }
        if let leaveAt {
            guard layout.region(containing: leaveAt) != nil else {
                throw DfuSePlanError(.outsideMemory, "the start address \(Hex.u32(leaveAt)) to leave to is outside \(layout)")
            }
            steps.append(DfuSeCommand.setAddress(leaveAt).step)
            ending = .manifestWithBlock(2)
        } else {
            ending = .none
        }
        self.steps = steps
        erasedSectors = erased
        dataBytes = writes.reduce(0) { $0 + $1.data.count }
    }

    /// A machine that runs the plan.
    public func machine(pollTimeoutCapMilliseconds: UInt32 = 1_000, manifestationTolerant: Bool = true) -> DFUDownloadMachine {
        DFUDownloadMachine(steps: steps, ending: ending, pollTimeoutCapMilliseconds: pollTimeoutCapMilliseconds,
                           manifestationTolerant: manifestationTolerant)
    }

    /// The non-empty segments with their sectors, after checking addresses, access and overlaps.
    private static func check(_ segments: [FirmwareSegment],
                              in layout: DfuSeMemoryLayout) throws(DfuSePlanError) -> [(address: UInt32, data: [UInt8], sectors: [DfuSeSector])] {
        var writes: [(address: UInt32, data: [UInt8], sectors: [DfuSeSector])] = []
        var ranges: [(index: Int, start: UInt64, end: UInt64)] = []
        for (index, segment) in segments.enumerated() {
            guard let address = segment.address else {
                throw DfuSePlanError(.noAddress, segment: index, "\(segment.data.count) bytes without an address: DfuSe writes addressed "
                                     + "segments (a DfuSe file's elements, or a raw image given its start address)")
            }
            guard !segment.data.isEmpty else { continue }
            let start = UInt64(address), end = start + UInt64(segment.data.count)
            let span = "\(segment.data.count) bytes at \(Hex.u32(address))-0x\(Hex.padded(end, 8))"
            guard let sectors = layout.sectors(from: address, count: segment.data.count) else {
                let gap = firstUncovered(from: start, to: end, in: layout)
                throw DfuSePlanError(.outsideMemory, segment: index, address: UInt32(truncatingIfNeeded: gap),
                                     "\(span): 0x\(Hex.padded(gap, 8)) is outside \(layout)")
            }
            if let locked = sectors.first(where: { !$0.access.contains(.writable) }) {
                throw DfuSePlanError(.notWritable, segment: index, address: locked.address,
                                     "\(span): sector \(Hex.u32(locked.address)) (\(locked.size) bytes) of \"\(OneLine.clean(layout.name))\" "
                                     + "is \(locked.access), not writable")
            }
            if let other = ranges.first(where: { $0.start < end && start < $0.end }) {
                throw DfuSePlanError(.overlap, segment: index, address: UInt32(truncatingIfNeeded: max(start, other.start)),
                                     "\(span) overlaps segment \(other.index) at 0x\(Hex.padded(max(start, other.start), 8)): "
                                     + "a byte can be written once per erase")
            }
            ranges.append((index, start, end))
            writes.append((address, segment.data, sectors))
        }
        return writes
    }

    private static func firstUncovered(from start: UInt64, to end: UInt64, in layout: DfuSeMemoryLayout) -> UInt64 {
        var cursor = start
        while cursor < end, cursor <= UInt64(UInt32.max), let sector = layout.sector(containing: UInt32(cursor)) { cursor = sector.end }
        return cursor
    }

    /// Set address, then blocks 2, 3, ...; a new set address before wBlockNum would pass 0xFFFF.
    private static func dataSteps(_ data: [UInt8], at address: UInt32, transferSize: Int) -> [DFUDownloadStep] {
        var steps: [DFUDownloadStep] = []
        var offset = 0
        while offset < data.count {
            steps.append(DfuSeCommand.setAddress(address &+ UInt32(truncatingIfNeeded: offset)).step)
            var block = 2
            while offset < data.count && block <= Int(UInt16.max) {
                let end = offset + min(transferSize, data.count - offset)
                steps.append(DFUDownloadStep(block: UInt16(block), data: Array(data[offset..<end]), isData: true,
                                             summary: Hex.u32(address &+ UInt32(truncatingIfNeeded: offset))))
                offset = end
                block += 1
            }
        }
        return steps
    }
}

/// A DfuSe download Pinion refuses to plan, on one line: which segment, which address, why.
public struct DfuSePlanError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Kind: String, Sendable, Hashable {
        /// A segment without an address (raw image without a start address).
        case noAddress
        /// Bytes outside every region of the memory (or of every alternate setting).
        case outsideMemory
        /// Bytes in a sector that is not writable.
        case notWritable
        /// Two segments write the same bytes.
        case overlap
        /// A transfer size below 1.
        case badTransferSize
    }

    public var kind: Kind
    /// Index of the segment at fault, when there is one.
    public var segment: Int?
    /// The first address at fault, when there is one.
    public var address: UInt32?
    public var problem: String

    public init(_ kind: Kind, segment: Int? = nil, address: UInt32? = nil, _ problem: String) {
        self.kind = kind
        self.segment = segment
        self.address = address
        self.problem = problem
    }

    public var description: String { OneLine.clean(segment.map { "segment \($0): " + problem } ?? problem) }
}
