import PinionEmulator
import Synchronization
import PinionUSB
import Testing

/// The USB/IP server against a client written from the protocol document, over real loopback TCP.
@Suite("USB/IP server")
struct USBIPServerTests {
    /// A minimal USB/IP client: what vhci-hcd sends and reads.
    struct Client {
        let socket: TCPSocket
        var sequence: UInt32 = 0
        /// RET_SUBMIT carries data only for IN URBs, so the client remembers which ones were IN.
        var inSequences: Set<UInt32> = []

        init(port: UInt16) throws {
            socket = try TCPSocket.connect(host: "127.0.0.1", port: port)
            socket.setReceiveTimeout(.seconds(5))  // a missing reply fails the test instead of hanging it
        }

        func op(_ code: UInt16, _ body: [UInt8] = []) throws {
            try socket.write(USBIPBytes.be16(0x0111) + USBIPBytes.be16(code) + USBIPBytes.be32(0) + body)
        }

        mutating func submit(endpoint: UInt32, in isIn: Bool, length: Int, setup: [UInt8] = [UInt8](repeating: 0, count: 8),
                             data: [UInt8] = []) throws -> UInt32 {
            sequence += 1
            if isIn { inSequences.insert(sequence) }
            var header = USBIPBytes.be32(1) + USBIPBytes.be32(sequence) + USBIPBytes.be32(0x0001_0002)
            header += USBIPBytes.be32(isIn ? 1 : 0) + USBIPBytes.be32(endpoint) + USBIPBytes.be32(0)
            header += USBIPBytes.be32(UInt32(length)) + USBIPBytes.be32(0) + USBIPBytes.be32(0xFFFF_FFFF) + USBIPBytes.be32(0) + setup
            try socket.write(header + data)
            return sequence
        }

        mutating func unlink(_ target: UInt32) throws -> UInt32 {
            sequence += 1
            try socket.write(USBIPBytes.be32(2) + USBIPBytes.be32(sequence) + [UInt8](repeating: 0, count: 12)
                             + USBIPBytes.be32(target) + [UInt8](repeating: 0, count: 24))
            return sequence
        }

        /// (command, seqnum, status, data)
        func reply() throws -> (UInt32, UInt32, Int32, [UInt8]) {
            let header = try socket.read(exactly: 48)
            let command = USBIPBytes.read32(header, 0), sequence = USBIPBytes.read32(header, 4)
            let status = Int32(bitPattern: USBIPBytes.read32(header, 20))
            let length = Int(USBIPBytes.read32(header, 24))
            let carriesData = command == 3 && inSequences.contains(sequence) && length > 0 && status == 0
            let data = carriesData ? try socket.read(exactly: length) : []
            return (command, sequence, status, data)
        }
    }

    static func loopback() -> EmulatedUSBDevice {
        EmulatedUSBDevice(id: USBID(vendor: 0x1209, product: 0x0002), manufacturer: "Pinion", product: "Loopback", serial: "LB",
                          interfaces: [USBInterfaceSetting(interfaceNumber: 0, interfaceClass: 0xFF, endpoints: [
                              USBEndpoint(address: 0x01, type: .bulk, maxPacketSize: 512),
                              USBEndpoint(address: 0x81, type: .bulk, maxPacketSize: 512),
                          ])], function: LoopbackFunction())
    }

    func server() throws -> (EmulatedUSBHost, USBIPServer) {
        let host = EmulatedUSBHost()
        host.attach(Self.loopback(), ports: [1])
        let server = try USBIPServer(host: host, port: 0)
        server.start()
        return (host, server)
    }

    @Test func deviceListDescribesEveryExportedDevice() throws {
        let (_, server) = try server()
        defer { server.stop() }
        let client = try Client(port: server.port)
        try client.op(0x8005)
        let head = try client.socket.read(exactly: 12)
        #expect(USBIPBytes.read16(head, 2) == 0x0005)
        #expect(USBIPBytes.read32(head, 8) == 1)
        let device = try client.socket.read(exactly: 312 + 4)
        #expect(USBIPBytes.string(Array(device[256..<288])) == "1-1")
        #expect(USBIPBytes.read16(device, 300) == 0x1209 && USBIPBytes.read16(device, 302) == 0x0002)
        #expect(USBIPBytes.read32(device, 296) == 3, "high speed")
        #expect(device[311] == 1, "one interface")
        #expect(Array(device[312..<315]) == [0xFF, 0, 0])
    }

    @Test func importOfAnUnknownBusIDIsRefused() throws {
        let (_, server) = try server()
        defer { server.stop() }
        let client = try Client(port: server.port)
        try client.op(0x8003, USBIPBytes.fixedString("9-9", length: 32))
        let reply = try client.socket.read(exactly: 8)
        #expect(USBIPBytes.read16(reply, 2) == 0x0003)
        #expect(USBIPBytes.read32(reply, 4) == 1)
    }

    @Test func controlBulkStallAndUnlinkOverAnImportedDevice() throws {
        let (_, server) = try server()
        defer { server.stop() }
        var client = try Client(port: server.port)
        try client.op(0x8003, USBIPBytes.fixedString("1-1", length: 32))
        let reply = try client.socket.read(exactly: 8 + 312)
        #expect(USBIPBytes.read32(reply, 4) == 0)

        let get = try client.submit(endpoint: 0, in: true, length: 18, setup: USBSetupPacket.getDescriptor(.device, length: 18).bytes)
        let (command, sequence, status, descriptor) = try client.reply()
        #expect(command == 3 && sequence == get && status == 0)
        #expect(try USBDescriptorParser.device(descriptor).id == USBID(vendor: 0x1209, product: 0x0002))

        let vendor = USBSetupPacket(direction: .in, kind: .vendor, recipient: .device, request: 0x42, length: 4)
        _ = try client.submit(endpoint: 0, in: true, length: 4, setup: vendor.bytes)
        #expect(try client.reply().2 == -32, "unknown vendor request stalls (-EPIPE)")

        let read = try client.submit(endpoint: 1, in: true, length: 64)
        let write = try client.submit(endpoint: 1, in: false, length: 3, data: [7, 8, 9])
        var replies: [UInt32: (Int32, [UInt8])] = [:]
        for _ in 0..<2 {
            let (_, sequence, status, data) = try client.reply()
            replies[sequence] = (status, data)
        }
        #expect(replies[write]?.0 == 0)
        #expect(replies[read]?.1 == [7, 8, 9], "a waiting bulk IN completes when data arrives")

        let waiting = try client.submit(endpoint: 1, in: true, length: 64)
        let unlink = try client.unlink(waiting)
        let (unlinkCommand, unlinkSequence, unlinkStatus, _) = try client.reply()
        #expect(unlinkCommand == 4 && unlinkSequence == unlink && unlinkStatus == -104, "-ECONNRESET: unlinked")
        let after = try client.submit(endpoint: 1, in: false, length: 1, data: [1])
        let (_, nextSequence, _, _) = try client.reply()
        #expect(nextSequence == after, "the unlinked URB is never answered")
    }

    /// libusb cancels a bulk IN at its timeout (an unlink); bytes the device produces just then
    /// must reach the next IN transfer, as they would stay in a real device's FIFO.
    @Test func dataArrivingForAnUnlinkedBulkINGoesToTheNextOne() throws {
        let (_, server) = try server()
        defer { server.stop() }
        var client = try Client(port: server.port)
        try client.op(0x8003, USBIPBytes.fixedString("1-1", length: 32))
        _ = try client.socket.read(exactly: 8 + 312)
        let cancelled = try client.submit(endpoint: 1, in: true, length: 64)
        let unlink = try client.unlink(cancelled)
        #expect(try client.reply().1 == unlink)
        // The server's wait for the cancelled IN is still running: the loopback's data lands there.
        let write = try client.submit(endpoint: 1, in: false, length: 2, data: [5, 6])
        #expect(try client.reply().1 == write)
        let next = try client.submit(endpoint: 1, in: true, length: 64)
        let (_, sequence, status, data) = try client.reply()
        #expect(sequence == next && status == 0)
        #expect(data == [5, 6], "the bytes the cancelled transfer took are handed to the next one")
    }

    @Test func unplugClosesTheConnection() throws {
        let (host, server) = try server()
        defer { server.stop() }
        let client = try Client(port: server.port)
        try client.op(0x8003, USBIPBytes.fixedString("1-1", length: 32))
        _ = try client.socket.read(exactly: 8 + 312)
        host.detach(ports: [1])
        #expect(throws: TCPError.self) { _ = try client.socket.read(exactly: 48) }
    }
}

/// A port reset reaches a USB/IP server only as the kernel's re-initialisation of the device
/// (vhci-hcd forwards no reset request): the server must see it there, or a bootloader that boots
/// its new image at the reset (the Coral) never does over USB/IP.
@Suite("USB/IP server: port reset")
struct USBIPPortResetTests {
    final class ResetCounter: EmulatedUSBFunction {
        let resets = Mutex(0)
        func busReset(device: EmulatedUSBDevice) { resets.withLock { $0 += 1 } }
    }

    /// What vhci-hcd's kernel sends when it (re-)initialises a port: the 64-byte device-descriptor
    /// read, the full one, SET_CONFIGURATION 1.
    static func initialise(_ client: inout USBIPServerTests.Client) throws {
        for length in [64, 18] {
            _ = try client.submit(endpoint: 0, in: true, length: length, setup: USBSetupPacket.getDescriptor(.device, length: UInt16(length)).bytes)
            #expect(try client.reply().2 == 0)
        }
        let configure = USBSetupPacket(direction: .out, kind: .standard, recipient: .device,
                                       request: USBSetupPacket.StandardRequest.setConfiguration.rawValue, value: 1)
        _ = try client.submit(endpoint: 0, in: false, length: 0, setup: configure.bytes)
        #expect(try client.reply().2 == 0)
    }

    @Test func theKernelsReinitialisationAfterConfigurationIsAResetAndEnumerationIsNot() throws {
        let counter = ResetCounter()
        let host = EmulatedUSBHost()
        host.attach(EmulatedUSBDevice(id: USBID(vendor: 0x1209, product: 0x0002), manufacturer: "Pinion", product: "Reset", serial: "RS",
                                      interfaces: [USBInterfaceSetting(interfaceNumber: 0, interfaceClass: 0xFF, endpoints: [])], function: counter),
                    ports: [1])
        let server = try USBIPServer(host: host, port: 0)
        server.start()
        defer { server.stop() }
        var client = try USBIPServerTests.Client(port: server.port)
        try client.op(0x8003, USBIPBytes.fixedString("1-1", length: 32))
        _ = try client.socket.read(exactly: 8 + 312)

        // Enumeration, with a retried first read: no reset.
        _ = try client.submit(endpoint: 0, in: true, length: 64, setup: USBSetupPacket.getDescriptor(.device, length: 64).bytes)
        _ = try client.reply()
        try Self.initialise(&client)
        // A program reading the device descriptor (18 bytes) is not a reset either.
        _ = try client.submit(endpoint: 0, in: true, length: 18, setup: USBSetupPacket.getDescriptor(.device, length: 18).bytes)
        _ = try client.reply()
        #expect(counter.resets.withLock { $0 } == 0)

        // libusb_reset_device: the kernel initialises the configured device again.
        try Self.initialise(&client)
        #expect(counter.resets.withLock { $0 } == 1)
    }
}
