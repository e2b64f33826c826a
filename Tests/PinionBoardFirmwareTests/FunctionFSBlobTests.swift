import PinionBoardFirmware
import PinionUSB
import Testing

/// The blobs FunctionFS takes, byte for byte as Linux's functionfs.h lays them out (the lab
/// proves a kernel accepts them: scripts/lab-gadget).
@Suite("FunctionFS descriptor and string blobs")
struct FunctionFSBlobTests {
    let descriptors = FunctionFSDescriptors(interfaces: [
        .init(interfaceClass: 0xFF, name: "proto", endpoints: [.init(number: 1, isIn: false), .init(number: 1, isIn: true)]),
        .init(interfaceClass: 0xFE, subclass: 1, interfaceProtocol: 1, name: "dfu", classDescriptors: [[9, 0x21, 0x0F, 0xE8, 0x03, 0, 0x10, 0x10, 0x01]]),
    ])

    @Test func descriptorsBlobHasTheV2HeaderCountsAndBothSpeeds() {
        let blob = descriptors.descriptorsBlob
        func le32(_ at: Int) -> UInt32 { (0..<4).reduce(0) { $0 | UInt32(blob[at + $1]) << (8 * $1) } }
        #expect(le32(0) == 3)                       // FUNCTIONFS_DESCRIPTORS_MAGIC_V2
        #expect(le32(4) == UInt32(blob.count))
        #expect(le32(8) == 3)                       // HAS_FS_DESC | HAS_HS_DESC
        #expect(le32(12) == 5 && le32(16) == 5)     // 2 interfaces, 2 endpoints, 1 functional, per speed
        let perSpeed = 9 + 7 + 7 + 9 + 9
        #expect(blob.count == 20 + 2 * perSpeed)
        // Full speed: 64-byte bulk packets; high speed: 512.
        #expect(Array(blob[20 + 9 ..< 20 + 16]) == [7, 5, 0x01, 2, 64, 0, 0])
        #expect(Array(blob[20 + perSpeed + 16 ..< 20 + perSpeed + 23]) == [7, 5, 0x81, 2, 0x00, 0x02, 0])
        // Interfaces name strings 1 and 2.
        #expect(blob[20 + 8] == 1 && blob[20 + 23 + 8] == 2)
        #expect(descriptors.withoutClassDescriptors.descriptorsBlob.count == blob.count - 18)
    }

    @Test func stringsBlobCarriesOneLanguageAndTheNamesInOrder() {
        let blob = descriptors.stringsBlob
        #expect(Array(blob[0..<4]) == [2, 0, 0, 0])
        #expect(Int(blob[4]) == blob.count)
        #expect(Array(blob[8..<16]) == [2, 0, 0, 0, 1, 0, 0, 0])
        #expect(Array(blob[16..<18]) == [0x09, 0x04])
        #expect(Array(blob[18...]) == Array("proto\0dfu\0".utf8))
    }

    @Test func eventsParseSetupPacketsAndStateChanges() {
        let bytes: [UInt8] = [0xA1, 3, 0, 0, 1, 0, 6, 0, 4, 0, 0, 0] + [0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0] + [0, 0, 0, 0, 0, 0, 0, 0, 9, 0, 0, 0]
        let events = FunctionFSEvent.parse(bytes)
        #expect(events == [.setup(USBSetupPacket(requestType: 0xA1, request: 3, value: 0, index: 1, length: 6)), .enable, .unknown(9)])
        if case .setup(let setup) = events[0] {
            #expect(setup.direction == .in && setup.kind == .class && setup.recipient == .interface)
        }
    }
}
