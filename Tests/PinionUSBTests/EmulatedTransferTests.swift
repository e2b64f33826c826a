import PinionEmulator
import PinionUSB
import Testing

/// Transfers through `USBDevice`'s chokepoint against emulated devices: faults become typed errors.
@Suite("Transfers and faults")
struct EmulatedTransferTests {
    static func loopbackDevice() -> EmulatedUSBDevice {
        EmulatedUSBDevice(
            id: USBID(vendor: 0x1209, product: 0x0002), manufacturer: "Pinion", product: "Loopback", serial: "LB-1",
            interfaces: [USBInterfaceSetting(interfaceNumber: 0, interfaceClass: 0xFF, endpoints: [
                USBEndpoint(address: 0x01, type: .bulk, maxPacketSize: 512),
                USBEndpoint(address: 0x81, type: .bulk, maxPacketSize: 512),
            ])],
            function: LoopbackFunction())
    }

    @Test func bulkLoopbackAndStrings() throws {
        let host = EmulatedUSBHost()
        let location = host.attach(Self.loopbackDevice(), ports: [1])
        let device = try host.open(location)
        try device.claimInterface(0)
        #expect(try device.bulkWrite(endpoint: 0x01, [1, 2, 3, 4]) == 4)
        #expect(try device.bulkRead(endpoint: 0x81, length: 2) == [1, 2])
        #expect(try device.bulkRead(endpoint: 0x81, length: 64) == [3, 4])
        #expect(try device.readStrings() == USBDeviceStrings(manufacturer: "Pinion", product: "Loopback", serialNumber: "LB-1"))
        #expect(device.counters.transfers >= 3)
        #expect(device.counters.errors == 0)
    }

    @Test func bulkReadWithNothingToSendTimesOutAfterItsTimeout() throws {
        let host = EmulatedUSBHost()
        let device = try host.open(host.attach(Self.loopbackDevice(), ports: [1]))
        let clock = ContinuousClock()
        let started = clock.now
        let error = #expect(throws: USBError.self) { try device.bulkRead(endpoint: 0x81, length: 8, timeout: .milliseconds(50)) }
        #expect(error?.code == .timeout)
        #expect(clock.now - started >= .milliseconds(50))
        #expect(error?.description.contains("1-1 (1209:0002)") == true)
        #expect(device.counters.timeouts == 1)
    }

    @Test func unknownRequestsAndEndpointsStall() throws {
        let host = EmulatedUSBHost()
        let device = try host.open(host.attach(Self.loopbackDevice(), ports: [1]))
        let vendorRequest = USBSetupPacket(direction: .in, kind: .vendor, recipient: .device, request: 0x42, length: 4)
        #expect(throws: USBError(.stall, operation: "control transfer", device: "1-1 (1209:0002)")) {
            try device.controlIn(vendorRequest)
        }
        let error = #expect(throws: USBError.self) { try device.bulkRead(endpoint: 0x82, length: 8) }
        #expect(error?.code == .stall)
        #expect(device.counters.stalls == 2)
    }

    @Test func haltedEndpointStallsUntilCleared() throws {
        let host = EmulatedUSBHost()
        let emulated = Self.loopbackDevice()
        let device = try host.open(host.attach(emulated, ports: [1]))
        emulated.halt(endpoint: 0x01)
        #expect(throws: USBError.self) { try device.bulkWrite(endpoint: 0x01, [9]) }
        try device.clearHalt(endpoint: 0x01)
        #expect(try device.bulkWrite(endpoint: 0x01, [9]) == 1)
    }

    @Test func unplugWhileOpenIsNoDevice() throws {
        let host = EmulatedUSBHost()
        let device = try host.open(host.attach(Self.loopbackDevice(), ports: [2]))
        host.detach(ports: [2])
        let error = #expect(throws: USBError.self) { try device.bulkWrite(endpoint: 0x01, [1]) }
        #expect(error?.code == .noDevice)
        #expect(device.counters.disconnects == 1)
        #expect(throws: USBError.self) { try host.open(device.info.location) }
    }

    @Test func unplugWakesAWaitingRead() async throws {
        let host = EmulatedUSBHost()
        let device = try host.open(host.attach(Self.loopbackDevice(), ports: [3]))
        let reader = Task { () async -> USBError.Code? in
            do throws(USBError) {
                _ = try await device.offload { try $0.bulkRead(endpoint: 0x81, length: 8, timeout: .seconds(30)) }
                return nil
            } catch {
                return error.code
            }
        }
        try await Task.sleep(for: .milliseconds(50))
        host.detach(ports: [3])
        let clock = ContinuousClock()
        let started = clock.now
        #expect(await reader.value == .noDevice)
        #expect(clock.now - started < .seconds(5), "the unplug must end the wait, not the 30 s timeout")
    }

    @Test func faultInjectorFailsChosenTransfersAtTheChokepoint() throws {
        let faults = USBFaultInjector()
        let host = EmulatedUSBHost(taps: [faults])
        let device = try host.open(host.attach(Self.loopbackDevice(), ports: [1]))
        faults.fail(.timeout, matching: .endpoint(0x01), after: 1, times: 1)
        faults.fail(.noDevice, matching: .controlRequest(USBSetupPacket.StandardRequest.getDescriptor.rawValue))
        #expect(try device.bulkWrite(endpoint: 0x01, [1]) == 1)
        let timeout = #expect(throws: USBError.self) { try device.bulkWrite(endpoint: 0x01, [2]) }
        #expect(timeout?.code == .timeout)
        #expect(timeout?.description.contains("injected") == true)
        #expect(try device.bulkWrite(endpoint: 0x01, [3]) == 1)
        let gone = #expect(throws: USBError.self) { try device.readStrings() }
        #expect(gone?.code == .noDevice)
        #expect(device.counters == { var c = USBTransferCounters(); c.transfers = 4; c.timeouts = 1; c.disconnects = 1; return c }())
    }

    @Test func overflowWhenDeviceSendsMoreThanAsked() throws {
        let host = EmulatedUSBHost()
        let device = try host.open(host.attach(Self.loopbackDevice(), ports: [1]))
        // GET_DESCRIPTOR answers at most wLength, as a compliant device must: never an overflow.
        let head = try device.controlIn(.getDescriptor(.device, length: 8))
        #expect(head.count == 8)
        #expect(head[1] == 0x01)
    }

    @Test func deniedOpenIsAccessDeniedWithAdvice() throws {
        let host = EmulatedUSBHost()
        let emulated = Self.loopbackDevice()
        emulated.denyOpen()
        host.attach(emulated, ports: [1])
        let listed = try host.devices(readStrings: true)
        #expect(listed.count == 1)
        #expect(listed[0].strings == nil)
        #expect(listed[0].stringsProblem?.contains("no permission") == true)
    }
}
