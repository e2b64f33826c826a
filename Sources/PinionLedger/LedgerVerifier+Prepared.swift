import Crypto
import Foundation

extension LedgerVerifier {
    /// The checks of one entry that need nothing but the entry: its payload's hash, the payload
    /// decoded, and its signature by the key the payload names. The chain uses them where it
    /// would make them (it checks that the payload names the key it expects before it looks at
    /// the signature, so the key is the same), which lets a batch of entries be checked on every
    /// core before the chain, which is sequential, takes them in order.
    struct Prepared: Sendable {
        var bytes: [UInt8]
        var hashMatches: Bool
        /// nil: not decoded here (the chain decodes it, and names what is wrong with it).
        var payload: LedgerEntry.Payload?
        /// nil: not checked here (no payload, or its gateway is not a key).
        var signatureValid: Bool?

        init(_ entry: LedgerEntry, keys: inout [String: Curve25519.Signing.PublicKey]) {
            bytes = Array(entry.payload.utf8)
            hashMatches = LedgerJSON.isHex(entry.hash, of: SHA256.hash(data: bytes))
            payload = bytes.withUnsafeBufferPointer(LedgerJSON.decodePayload)
            guard hashMatches, let gateway = payload?.gateway, let key = keys[gateway] ?? LedgerVerifier.publicKey(hex: gateway) else { return }
            keys[gateway] = key
            signatureValid = Data(base64Encoded: entry.signature).map { key.isValidSignature($0, for: bytes) } ?? false
        }

        /// `Prepared` of every entry of `lines` (nil for the others), on as many threads as
        /// there are cores.
        static func all(_ lines: [Line]) -> [Prepared?] {
            let slots = Slots(count: lines.count)
            let workers = max(1, min(ProcessInfo.processInfo.activeProcessorCount, lines.count))
            let share = (lines.count + workers - 1) / workers
            DispatchQueue.concurrentPerform(iterations: workers) { worker in
                var keys: [String: Curve25519.Signing.PublicKey] = [:]
                for index in worker * share..<min(lines.count, (worker + 1) * share) {
                    if let entry = lines[index].entry { slots.values[index] = Prepared(entry, keys: &keys) }
                }
            }
            return Array(slots.values)
        }
    }

    /// Results that worker threads write, each to indices no other writes, and that are read
    /// once they have all finished.
    private final class Slots: @unchecked Sendable {
        let values: UnsafeMutableBufferPointer<Prepared?>

        init(count: Int) {
            values = .allocate(capacity: count)
            values.initialize(repeating: nil)
        }

        deinit {
            values.deinitialize()
            values.deallocate()
        }
    }

    static func publicKey(hex: String) -> Curve25519.Signing.PublicKey? {
        guard let raw = hexBytes(hex) else { return nil }
        return try? Curve25519.Signing.PublicKey(rawRepresentation: raw)
    }
}
