import Foundation
import Glibc
import PinionController
import PinionScheduler
import PinionSystem
import Testing

/// `pinion run` under a `Type=notify` systemd unit: READY once the API answers, WATCHDOG pings
/// only while the daemon works (none while it is frozen), STOPPING when it begins to stop.
@Suite("pinion run: systemd notifications")
struct SystemdNotifyTests {
    @Test(arguments: [false, true])
    func readyWatchdogAndStoppingReachTheNotifySocket(abstract: Bool) async throws {
        try await BlockingCall.run("notify socket") {
            let gateway = try TestGateway("notify")
            defer { gateway.remove() }
            let name = gateway.directory.appendingPathComponent("notify").path
            let listener = try NotifyListener(path: name, abstract: abstract)
            let process = Process()
            process.executableURL = PinionProcess.executable
            process.arguments = ["run", "--simulate", "--config", gateway.config.path]
            process.environment = ProcessInfo.processInfo.environment.merging(
                ["NOTIFY_SOCKET": abstract ? "@" + name : name, "WATCHDOG_USEC": "400000"]) { $1 }
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            defer { if process.isRunning { kill(process.processIdentifier, SIGCONT); process.terminate(); process.waitUntilExit() } }

            // The watchdog may ping before the API serves; READY comes once it does.
            let ready = try listener.waitFor(within: 30) { $0.hasPrefix("READY=1") }
            #expect(ready != nil, "no READY=1 within 30 s")
            // READY means served: the API answers at once.
            #expect(throws: Never.self) { try gateway.client.get("/v1/status", as: SchedulerStatus.self) }
            #expect(try listener.next(within: 5) == "WATCHDOG=1")
            #expect(try listener.next(within: 5) == "WATCHDOG=1")

            kill(process.processIdentifier, SIGSTOP)
            listener.drain()
            #expect(listener.messages(within: 1.5).isEmpty, "a frozen daemon still pinged its watchdog")
            kill(process.processIdentifier, SIGCONT)
            #expect(try listener.next(within: 5) == "WATCHDOG=1")

            process.terminate()
            let stopping = try listener.waitFor(within: 10) { $0.hasPrefix("STOPPING=1") }
            #expect(stopping != nil, "no STOPPING=1 after SIGTERM")
            process.waitUntilExit()
            #expect(process.terminationStatus == 0)
        }
    }

    @Test func withoutANotifySocketNothingIsSentAndNothingFails() {
        if ProcessInfo.processInfo.environment["NOTIFY_SOCKET"] == nil { #expect(SystemdNotifier.fromEnvironment() == nil) }
        #expect(!SystemdNotifier(socketPath: "/nonexistent/notify").notify("READY=1"))
    }
}

/// The manager's end of `$NOTIFY_SOCKET`: a datagram socket bound at a path or an abstract name.
final class NotifyListener {
    private let descriptor: Int32

    init(path: String, abstract: Bool) throws {
        descriptor = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = (abstract ? [0] : []) + Array(path.utf8)
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: bytes) }
        let length = socklen_t(MemoryLayout<sa_family_t>.size + bytes.count + (abstract ? 0 : 1))
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, length) }
        }
        guard bound == 0 else { throw CLIError("bind \(path): \(String(cString: strerror(errno)))") }
    }

    deinit { close(descriptor) }

    /// The next datagram, or an error after `seconds`.
    func next(within seconds: Double) throws -> String {
        guard let message = receive(within: seconds) else { throw CLIError("no notification within \(seconds) s") }
        return message
    }

    /// Datagrams until one satisfies `wanted`; nil when none did within `seconds`.
    func waitFor(within seconds: Double, _ wanted: (String) -> Bool) throws -> String? {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if let message = receive(within: deadline.timeIntervalSinceNow), wanted(message) { return message }
        }
        return nil
    }

    /// Every datagram that arrives within `seconds`.
    func messages(within seconds: Double) -> [String] {
        let deadline = Date().addingTimeInterval(seconds)
        var received: [String] = []
        while Date() < deadline, let message = receive(within: deadline.timeIntervalSinceNow) { received.append(message) }
        return received
    }

    /// Throws away what is queued (pings sent before the process froze).
    func drain() {
        Thread.sleep(forTimeInterval: 0.1)
        while receive(within: 0) != nil {}
    }

    private func receive(within seconds: Double) -> String? {
        var poller = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
        guard poll(&poller, 1, Int32(max(0, seconds * 1000))) == 1 else { return nil }
        var buffer = [UInt8](repeating: 0, count: 4096)
        let count = recv(descriptor, &buffer, buffer.count, 0)
        guard count > 0 else { return nil }
        return String(decoding: buffer[..<count], as: UTF8.self)
    }
}
