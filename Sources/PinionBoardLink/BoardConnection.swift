import Foundation
import PinionSystem
import PinionUSB
import Synchronization

/// A host's connection to one board speaking Pinion's board protocol over its vendor bulk
/// endpoints. Requests may be issued from any task and many may be in flight: each gets a request
/// id and its reply is matched to it.
///
/// Two threads of its own do the blocking USB work — a writer that sends queued frames (several
/// per bulk transfer when they queue up) and a reader that decodes replies and checks request
/// deadlines — so callers only suspend, and the concurrency pool never waits on USB. Both sleep
/// while there is nothing to do: the reader reads only while a request waits for its reply (an
/// idle board costs no wakeups; it used to be polled with a 100 ms bulk IN timeout).
public final class BoardConnection: Sendable {
    public let device: USBDevice
    private let interface: UInt8
    private let outEndpoint: UInt8
    private let inEndpoint: UInt8
    public let defaultTimeout: Duration
    private let clock: any DeadlineClock

    private struct Pending {
        var continuation: CheckedContinuation<BoardMessage, any Error>
        var deadline: ContinuousClock.Instant
        var what: String
        var timeout: Duration
    }

    private struct State {
        var pending: [UInt32: Pending] = [:]
        var outgoing: [(UInt32, [UInt8])] = []
        var nextID: UInt32 = 1
        var closed: BoardLinkError?
        var framesDropped = 0
    }

    private let state = Mutex(State())
    private let writerWake = NSCondition()
    /// Signalled when a request starts waiting for a reply, and on close.
    private let readerWake = NSCondition()

    /// Connects to the board protocol where `info`'s descriptors put it (`BoardEndpoints`); a
    /// device without a vendor bulk interface is tried on interface 0, endpoints 0x01 and 0x81.
    public convenience init(device: USBDevice, info: USBDeviceInfo, defaultTimeout: Duration = .seconds(5),
                            clock: any DeadlineClock = ContinuousClock()) throws(BoardLinkError) {
        let endpoints = BoardEndpoints(of: info) ?? BoardEndpoints()
        try self.init(device: device, interface: endpoints.interface, outEndpoint: endpoints.out, inEndpoint: endpoints.in,
                      defaultTimeout: defaultTimeout, clock: clock)
    }

    /// Claims `interface` and starts the reader and writer threads. Request deadlines are read on
    /// `clock` (checked whenever a bulk IN transfer ends, at least every 100 ms while one waits).
    public init(device: USBDevice, interface: UInt8 = 0, outEndpoint: UInt8 = 0x01, inEndpoint: UInt8 = 0x81,
                defaultTimeout: Duration = .seconds(5), clock: any DeadlineClock = ContinuousClock()) throws(BoardLinkError) {
        self.device = device
        self.interface = interface
        self.outEndpoint = outEndpoint
        self.inEndpoint = inEndpoint
        self.defaultTimeout = defaultTimeout
        self.clock = clock
        do {
            try device.claimInterface(interface)
        } catch {
            throw .usb("claim interface \(interface) of \(device.name): \(error)")
        }
        let reader = Thread { [self] in readLoop() }
        reader.name = "board-link reader \(device.name)"
        reader.start()
        let writer = Thread { [self] in writeLoop() }
        writer.name = "board-link writer \(device.name)"
        writer.start()
    }

    /// Frames from the board that could not be matched to a request (bad checksum with no readable id...).
    public var framesDropped: Int { state.withLock { $0.framesDropped } }

    /// Why the connection is closed, or nil while it is open.
    public var closedBecause: BoardLinkError? { state.withLock { $0.closed } }

    /// Sends `message` and waits for the board's reply; an ERROR reply throws `.board`.
    public func request(_ message: BoardMessage, timeout: Duration? = nil) async throws -> BoardMessage {
        let timeout = timeout ?? defaultTimeout
        let reply = try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<BoardMessage, any Error>) in
            let failure: BoardLinkError? = state.withLock { state in
                if let closed = state.closed { return closed }
                let id = state.nextID
                state.nextID = state.nextID == UInt32.max ? 1 : state.nextID + 1
                state.pending[id] = Pending(continuation: continuation, deadline: clock.now + timeout, what: "\(message.type) (request \(id))",
                                            timeout: timeout)
                state.outgoing.append((id, message.frame(requestID: id).encoded()))
                return nil
            }
            if let failure { continuation.resume(throwing: failure); return }
            writerWake.lock()
            writerWake.signal()
            writerWake.unlock()
            readerWake.lock()
            readerWake.signal()
            readerWake.unlock()
        }
        if case .error(let code, let text) = reply { throw BoardLinkError.board(code, text) }
        return reply
    }

    /// Stops both threads and fails every request still waiting with `reason`.
    public func close(_ reason: BoardLinkError = .disconnected("connection closed")) {
        let waiting = state.withLock { state -> [Pending] in
            guard state.closed == nil else { return [] }
            state.closed = reason
            defer { state.pending = [:]; state.outgoing = [] }
            return Array(state.pending.values)
        }
        for request in waiting { request.continuation.resume(throwing: reason) }
        writerWake.lock()
        writerWake.broadcast()
        writerWake.unlock()
        readerWake.lock()
        readerWake.broadcast()
        readerWake.unlock()
    }

    private func writeLoop() {
        while true {
            writerWake.lock()
            var batch: [(UInt32, [UInt8])] = []
            while batch.isEmpty {
                let (queued, closed) = state.withLock { state -> ([(UInt32, [UInt8])], Bool) in
                    defer { state.outgoing = [] }
                    return (state.outgoing, state.closed != nil)
                }
                if closed { writerWake.unlock(); return }
                batch = queued
                if batch.isEmpty { writerWake.wait() }
            }
            writerWake.unlock()
            // Frames that queued up go out together, in as few bulk transfers as possible.
            var bytes: [UInt8] = []
            for (_, frame) in batch { bytes += frame }
            do {
                try device.bulkWrite(endpoint: outEndpoint, bytes, timeout: .seconds(5))
            } catch let error where error.code == .noDevice {
                close(.disconnected("\(device.name) left the bus"))
                return
            } catch {
                fail(batch.map(\.0), with: .usb("sending to \(device.name): \(error)"))
            }
        }
    }

    private func readLoop() {
        var decoder = BoardFrameDecoder()
        while waitForPendingRequest() {
            do {
                let bytes = try device.bulkRead(endpoint: inEndpoint, length: 64 * 1024, timeout: .milliseconds(100))
                decoder.push(bytes)
            } catch let error where error.code == .timeout {
                // Quiet link: check the deadlines below.
            } catch let error where error.code == .noDevice {
                close(.disconnected("\(device.name) left the bus"))
                return
            } catch {
                close(.usb("reading from \(device.name): \(error)"))
                return
            }
            while let next = decoder.next() {
                switch next {
                case .success(let frame):
                    deliver(frame)
                case .failure(let error):
                    if let id = error.requestID { fail([id], with: .protocolError(error.description)) } else { state.withLock { $0.framesDropped += 1 } }
                }
            }
            expireOverdue()
        }
    }

    /// Blocks while no request waits for a reply (a board speaks only when asked; what it sends
    /// meanwhile stays queued on the endpoint until the next read). False once closed.
    private func waitForPendingRequest() -> Bool {
        readerWake.lock()
        defer { readerWake.unlock() }
        while true {
            let (closed, waiting) = state.withLock { ($0.closed != nil, !$0.pending.isEmpty) }
            if closed { return false }
            if waiting { return true }
            readerWake.wait()
        }
    }

    private func deliver(_ frame: BoardFrame) {
        guard let request = state.withLock({ $0.pending.removeValue(forKey: frame.requestID) }) else {
            state.withLock { $0.framesDropped += 1 }
            return
        }
        do {
            request.continuation.resume(returning: try BoardMessage(frame: frame))
        } catch {
            request.continuation.resume(throwing: BoardLinkError.protocolError("reply to \(request.what): \(error)"))
        }
    }

    private func fail(_ ids: [UInt32], with error: BoardLinkError) {
        let requests = state.withLock { state in ids.compactMap { state.pending.removeValue(forKey: $0) } }
        for request in requests { request.continuation.resume(throwing: error) }
    }

    private func expireOverdue() {
        let now = clock.now
        let overdue = state.withLock { state -> [Pending] in
            let ids = state.pending.filter { $0.value.deadline < now }.map(\.key)
            return ids.compactMap { state.pending.removeValue(forKey: $0) }
        }
        for request in overdue {
            request.continuation.resume(throwing: BoardLinkError.timeout(request: request.what, seconds: request.timeout.inSeconds))
        }
    }
}
