import PinionEmulator
import PinionUSB
import Testing

@Suite("Hotplug")
struct HotplugTests {
    @Test func arrivalsAndDeparturesAreEvents() async throws {
        let host = EmulatedUSBHost()
        host.attach(EmulatedTransferTests.loopbackDevice(), ports: [1])
        var events = try host.hotplugEvents(includeExisting: true).makeAsyncIterator()
        let existing = await events.next()
        #expect(existing?.location.path == "1-1")
        let second = host.attach(EmulatedTransferTests.loopbackDevice(), ports: [2, 1])
        #expect(await events.next() == .arrived(try #require(host.devices(readStrings: false).first { $0.location == second })))
        host.detach(ports: [1])
        guard case .left(let location, let id) = await events.next() else {
            Issue.record("expected a leave event")
            return
        }
        #expect(location.path == "1-1")
        #expect(id.description == "1209:0002")
        #expect(second.path == "1-2.1")
    }

    @Test func reattachOnTheSamePortIsANewAddress() async throws {
        let host = EmulatedUSBHost()
        let first = host.attach(EmulatedTransferTests.loopbackDevice(), ports: [1])
        var events = try host.hotplugEvents(includeExisting: false).makeAsyncIterator()
        let second = host.attach(EmulatedTransferTests.loopbackDevice(), ports: [1])
        #expect(first.port == second.port)
        #expect(first.address != second.address)
        #expect(await events.next() == .left(first, USBID(vendor: 0x1209, product: 0x0002)))
        guard case .arrived(let info) = await events.next() else {
            Issue.record("expected an arrival")
            return
        }
        #expect(info.location == second)
    }

    @Test func pollingHotplugSeesTheSameEvents() async throws {
        let host = EmulatedUSBHost()
        host.attach(EmulatedTransferTests.loopbackDevice(), ports: [1])
        var events = USBPollingHotplug(host: host, interval: .milliseconds(10)).events(includeExisting: true).makeAsyncIterator()
        #expect(await events.next()?.location.path == "1-1")
        host.attach(EmulatedTransferTests.loopbackDevice(), ports: [4])
        #expect(await events.next()?.location.path == "1-4")
        host.detach(ports: [1])
        guard case .left(let location, _) = await events.next() else {
            Issue.record("expected a leave event")
            return
        }
        #expect(location.path == "1-1")
    }

    @Test func shutdownEndsStreams() async throws {
        let host = EmulatedUSBHost()
        var events = try host.hotplugEvents(includeExisting: false).makeAsyncIterator()
        host.shutdown()
        #expect(await events.next() == nil)
    }
}
