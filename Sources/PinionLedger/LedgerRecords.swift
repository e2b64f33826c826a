/// A compute receipt: what a board computed for a task, with hashes a verifier can check against
/// the task's data, and the energy measured for it.
public struct ComputeReceipt: Codable, Sendable, Hashable {
    public var task: String
    public var model: String
    /// SHA-256 of the model file, hex.
    public var modelSHA256: String
    public var inputSHA256: String
    public var outputSHA256: String
    public var board: String
    /// Unix time, milliseconds.
    public var startMs: Int64
    public var endMs: Int64
    /// Energy attributed to the task by the rail monitors, microjoules; nil where the board has none.
    public var microjoules: Int64?

    public init(task: String, model: String, modelSHA256: String, inputSHA256: String, outputSHA256: String, board: String,
                startMs: Int64, endMs: Int64, microjoules: Int64?) {
        self.task = task
        self.model = model
        self.modelSHA256 = modelSHA256
        self.inputSHA256 = inputSHA256
        self.outputSHA256 = outputSHA256
        self.board = board
        self.startMs = startMs
        self.endMs = endMs
        self.microjoules = microjoules
    }
}

/// Energy over a period, per board, as the rail monitors measured it (integers: canonical JSON
/// carries no floating point).
public struct EnergyReport: Codable, Sendable, Hashable {
    public var fromMs: Int64
    public var toMs: Int64
    /// Board serial → microjoules.
    public var boards: [String: Int64]
    /// Board serial → microjoules with no task running.
    public var idle: [String: Int64]
    /// Seconds of the period without a trustworthy measurement, per rail (milliseconds).
    public var gapMs: [String: Int64]

    public init(fromMs: Int64, toMs: Int64, boards: [String: Int64], idle: [String: Int64], gapMs: [String: Int64]) {
        self.fromMs = fromMs
        self.toMs = toMs
        self.boards = boards
        self.idle = idle
        self.gapMs = gapMs
    }
}

/// A change of the gateway's key, signed by the key it replaces: from the entry after it on,
/// entries are signed by `newKey`.
public struct KeyRotation: Codable, Sendable, Hashable {
    /// The new Ed25519 public key, hex.
    public var newKey: String

    public init(newKey: String) {
        self.newKey = newKey
    }
}

/// What a ledger entry records.
public enum LedgerRecord: Sendable, Hashable {
    case receipt(ComputeReceipt)
    case energy(EnergyReport)
    case rotation(KeyRotation)

    var kind: String {
        switch self {
        case .receipt: "receipt"
        case .energy: "energy"
        case .rotation: "rotation"
        }
    }

    var body: LedgerEntry.Body {
        switch self {
        case .receipt(let receipt): LedgerEntry.Body(receipt: receipt)
        case .energy(let report): LedgerEntry.Body(energy: report)
        case .rotation(let rotation): LedgerEntry.Body(rotation: rotation)
        }
    }
}
