import NIOCore
import NIOHTTPTypes
import Synchronization

/// The connections of one listener, at most `capacity` at once. A connection over the limit takes
/// the slot of the connection that has been idle longest (connected, or between requests, with
/// no request being read or answered), which is closed; when every slot has a request in
/// progress, the new connection is closed instead. So idle connections, however many, never keep
/// a client with a request out, and never hold more than `capacity` file descriptors.
final class ConnectionSlots: Sendable {
    private struct Entry: Sendable {
        let channel: any Channel
        var requestsInProgress = 0
        var idleSince: UInt64
    }

    private struct State: Sendable {
        var entries: [ObjectIdentifier: Entry] = [:]
        var clock: UInt64 = 0
    }

    let capacity: Int
    private let state = Mutex(State())

    init(capacity: Int) { self.capacity = max(1, capacity) }

    /// Takes `channel` in; returns the connection to close to make room (an idle one, or
    /// `channel` itself when none is idle), or nil.
    func admit(_ channel: any Channel) -> (any Channel)? {
        state.withLock { state in
            state.clock += 1
            var victim: (any Channel)?
            if state.entries.count >= capacity {
                guard let idlest = state.entries.values.filter({ $0.requestsInProgress == 0 }).min(by: { $0.idleSince < $1.idleSince }) else {
                    return channel
                }
                state.entries[ObjectIdentifier(idlest.channel)] = nil
                victim = idlest.channel
            }
            state.entries[ObjectIdentifier(channel)] = Entry(channel: channel, idleSince: state.clock)
            return victim
        }
    }

    /// A request began (`+1`) or was answered (`-1`) on `channel`.
    func request(on channel: any Channel, _ change: Int) {
        state.withLock { state in
            state.clock += 1
            guard var entry = state.entries[ObjectIdentifier(channel)] else { return }
            entry.requestsInProgress = max(0, entry.requestsInProgress + change)
            if entry.requestsInProgress == 0 { entry.idleSince = state.clock }
            state.entries[ObjectIdentifier(channel)] = entry
        }
    }

    func remove(_ channel: any Channel) {
        _ = state.withLock { $0.entries.removeValue(forKey: ObjectIdentifier(channel)) }
    }

    var count: Int { state.withLock { $0.entries.count } }
}

/// Keeps one connection's place in its listener's `ConnectionSlots`.
final class ConnectionSlotHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private let slots: ConnectionSlots

    init(slots: ConnectionSlots) { self.slots = slots }

    func handlerAdded(context: ChannelHandlerContext) {
        if let victim = slots.admit(context.channel) { victim.close(promise: nil) }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        slots.remove(context.channel)
    }

    func channelInactive(context: ChannelHandlerContext) {
        slots.remove(context.channel)
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case .head = unwrapInboundIn(data) { slots.request(on: context.channel, +1) }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data) { slots.request(on: context.channel, -1) }
        context.write(data, promise: promise)
    }
}
