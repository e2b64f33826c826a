import Foundation
import PinionBoards
import PinionUSB
import Testing

@Suite("Board catalogue")
struct CatalogueLoadingTests {
    @Test func everyShippedDescriptorIsValid() throws {
        let catalogue = try BoardCatalogue.load(directories: [Repository.boards])
        #expect(catalogue.problems.isEmpty, "\(catalogue.problems)")
        let files = try FileManager.default.contentsOfDirectory(atPath: Repository.boards).filter { $0.hasSuffix(".toml") }
        #expect(catalogue.boards.count == files.count)
        #expect(Set(catalogue.boards.map(\.id)).isSuperset(of: ["coral-usb-accelerator", "stm32-dfu-bootloader", "pinion-emu-npu-s", "pinion-emu-npu-l"]))
    }

    @Test func shippedBoardsCarryTheRealIDs() throws {
        let catalogue = try BoardCatalogue.load(directories: [Repository.boards])
        let coral = try #require(catalogue.board(id: "coral-usb-accelerator"))
        #expect(coral.runtime?.id == USBID("18d1:9302"))
        #expect(coral.bootloader?.id == USBID("1a6e:089a"))
        #expect(coral.flash.bootOnAttach)
        #expect(coral.execution.kind == .exec)
        let stm32 = try #require(catalogue.board(id: "stm32-dfu-bootloader"))
        #expect(stm32.bootloader?.id == USBID("0483:df11"))
        #expect(stm32.flash.method == .dfuse)
        #expect(stm32.flash.controlTimeoutMilliseconds == 5000)
        let small = try #require(catalogue.board(id: "pinion-emu-npu-s"))
        #expect(small.runtime?.id.vendor == 0x1209)
        #expect(small.sensors.map(\.type) == [.ina226, .tmp102])
        #expect(small.sensors.first?.shuntOhms == 0.01)
    }

    @Test func matchFindsBoardAndMode() throws {
        let catalogue = try BoardCatalogue.load(directories: [Repository.boards])
        #expect(catalogue.match(USBID("1a6e:089a")!, product: nil)?.mode == .bootloader)
        #expect(catalogue.match(USBID("18d1:9302")!, product: nil)?.board.id == "coral-usb-accelerator")
        #expect(catalogue.match(USBID("1209:0002")!, product: "Pinion EMU-NPU S")?.mode == .runtime)
        #expect(catalogue.match(USBID("046d:c52b")!, product: nil) == nil)
    }

    @Test func laterDirectoriesOverrideByID() throws {
        let shipped = try TemporaryCatalogue(), site = try TemporaryCatalogue()
        try shipped.write("test-board.toml", validBoard)
        try site.write("test-board.toml", validBoard.replacingOccurrences(of: "name = \"Test board\"", with: "name = \"Site board\""))
        let catalogue = try BoardCatalogue.load(directories: [shipped.directory, site.directory])
        #expect(catalogue.boards.map(\.name) == ["Site board"])
        #expect(catalogue.problems.isEmpty)
    }

    @Test func aSiteFileFixesABrokenShippedOne() throws {
        let shipped = try TemporaryCatalogue(), site = try TemporaryCatalogue()
        try shipped.write("test-board.toml", "schema = ")
        try site.write("test-board.toml", validBoard)
        let catalogue = try BoardCatalogue.load(directories: [shipped.directory, site.directory])
        #expect(catalogue.boards.count == 1)
        #expect(catalogue.problems.isEmpty)
    }

    @Test func missingDirectoryIsAnError() {
        #expect(throws: CatalogueError(file: "/nonexistent/boards", key: "", message: "no such board catalogue directory (install the boards/ directory there, or name one with --boards DIR or PINION_BOARDS)")) {
            try BoardCatalogue.load(directories: ["/nonexistent/boards"])
        }
    }

    @Test func searchPathPrefersExplicitThenEnvironmentThenCheckout() {
        #expect(BoardCatalogue.searchPath(explicit: "/x", environment: ["PINION_BOARDS": "/y"]) == ["/x"])
        #expect(BoardCatalogue.searchPath(explicit: nil, environment: ["PINION_BOARDS": "/y"]) == ["/y"])
        let checkout = BoardCatalogue.searchPath(explicit: nil, environment: [:],
                                                 executablePath: Repository.root.path + "/.build/debug/pinion",
                                                 etcDirectory: "/nonexistent/etc")
        #expect(checkout == [Repository.boards])
        let installed = BoardCatalogue.searchPath(explicit: nil, environment: [:], executablePath: "/usr/local/bin/pinion",
                                                  etcDirectory: "/etc/pinion/boards",
                                                  fileExists: { $0 == "/etc/pinion/boards" || $0 == "/usr/local/share/pinion/boards" })
        #expect(installed == ["/usr/local/share/pinion/boards", "/etc/pinion/boards"])
    }
}

@Suite("Invalid board descriptors")
struct InvalidDescriptorTests {
    /// (what is wrong, file name, text, expected key, expected words)
    static let cases: [(String, String, String, String, String)] = [
        ("syntax error", "bad.toml", validBoard.replacingOccurrences(of: "vendor = \"Test\"", with: "vendor = = \"Test\""), "line 3, column", "TOML syntax error"),
        ("wrong type", "bad.toml", validBoard.replacingOccurrences(of: "name = \"Test board\"", with: "name = 7"), "name", "expected a string, got an integer"),
        ("missing name", "bad.toml", validBoard.replacingOccurrences(of: "name = \"Test board\"\n", with: ""), "name", "missing (required)"),
        ("unknown key", "bad.toml", validBoard.replacingOccurrences(of: "[flash]\nmethod = \"dfu\"", with: "[flash]\nmethod = \"dfu\"\nwill_detatch = true"), "flash.will_detatch", "unknown key"),
        ("bad USB id", "bad.toml", validBoard.replacingOccurrences(of: "\"1209:0009\"", with: "\"1209-0009\""), "usb.runtime.id", "expected \"vvvv:pppp\""),
        ("address above 0x77", "bad.toml", validBoard.replacingOccurrences(of: "address = 0x40", with: "address = 0x78"), "sensors[0].address", "out of range"),
        ("INA without shunt", "bad.toml", validBoard.replacingOccurrences(of: "shunt_ohms = 0.01\n", with: ""), "sensors[0].shunt_ohms", "needs the shunt resistance"),
        ("negative shunt", "bad.toml", validBoard.replacingOccurrences(of: "shunt_ohms = 0.01", with: "shunt_ohms = -0.01"), "sensors[0].shunt_ohms", "greater than 0"),
        ("warn above max", "bad.toml", validBoard.replacingOccurrences(of: "warn_c = 80", with: "warn_c = 99"), "thermal.warn_c", "must be below max_c"),
        ("unknown flash method", "bad.toml", validBoard.replacingOccurrences(of: "method = \"dfu\"", with: "method = \"jtag\""), "flash.method", "expected \"dfu\", \"dfuse\" or \"none\""),
        ("dfu without bootloader ids", "bad.toml", validBoard.replacingOccurrences(of: "[usb.bootloader]\nid = \"1209:000a\"\n", with: ""), "flash.method", "needs [usb.bootloader]"),
        ("endpoint 0", "bad.toml", validBoard.replacingOccurrences(of: "address = 0x81", with: "address = 0x80"), "usb.runtime.interfaces[0].endpoints[0].address", "not a data endpoint"),
        ("exec without command", "bad.toml", validBoard.replacingOccurrences(of: "kind = \"pinion\"", with: "kind = \"exec\""), "runtime.command", "needs the command"),
        ("future schema", "bad.toml", validBoard.replacingOccurrences(of: "schema = 1", with: "schema = 2"), "schema", "reads schema 1"),
        ("no usb at all", "bad.toml", "schema = 1\nname = \"x\"\nvendor = \"y\"\n", "usb", "missing (required)"),
        ("bad file name", "Bad_Name.toml", validBoard, "", "file name must be the board id"),
    ]

    @Test(arguments: cases.indices)
    func errorNamesFileAndKey(_ index: Int) throws {
        let (what, name, text, key, words) = Self.cases[index]
        let catalogue = try TemporaryCatalogue()
        let path = try catalogue.write(name, text)
        let loaded = try BoardCatalogue.load(directories: [catalogue.directory])
        #expect(loaded.boards.isEmpty, "\(what): should not load")
        let problem = try #require(loaded.problems.first, "\(what): no error")
        #expect(problem.file == path, "\(what)")
        #expect(problem.key.hasPrefix(key), "\(what): key \(problem.key)")
        #expect(problem.message.contains(words), "\(what): \(problem.message)")
        #expect(problem.description.hasPrefix("\(path): "))
        #expect(!problem.description.contains("\n"))
    }

    @Test func duplicateUSBIDsNameBothFiles() throws {
        let catalogue = try TemporaryCatalogue()
        let first = try catalogue.write("first-board.toml", validBoard)
        let second = try catalogue.write("second-board.toml", validBoard)
        let loaded = try BoardCatalogue.load(directories: [catalogue.directory])
        #expect(loaded.boards.map(\.id) == ["first-board"])
        let problem = try #require(loaded.problems.first)
        #expect(problem.file == second)
        #expect(problem.key == "usb.runtime.id")
        #expect(problem.message.contains(first))
    }

    @Test func distinctProductStringsMayShareIDs() throws {
        let catalogue = try TemporaryCatalogue()
        try catalogue.write("first-board.toml", validBoard.replacingOccurrences(of: "id = \"1209:0009\"", with: "id = \"1209:0009\"\nproduct = \"A\""))
        try catalogue.write("second-board.toml", validBoard.replacingOccurrences(of: "id = \"1209:0009\"", with: "id = \"1209:0009\"\nproduct = \"B\"")
            .replacingOccurrences(of: "1209:000a", with: "1209:000b"))
        let loaded = try BoardCatalogue.load(directories: [catalogue.directory])
        #expect(loaded.problems.isEmpty, "\(loaded.problems)")
        #expect(loaded.match(USBID("1209:0009")!, product: "B")?.board.id == "second-board")
    }

    @Test func oneBadFileDoesNotHideTheOthers() throws {
        let catalogue = try TemporaryCatalogue()
        try catalogue.write("good-board.toml", validBoard)
        try catalogue.write("bad-board.toml", "schema = 1\n")
        let loaded = try BoardCatalogue.load(directories: [catalogue.directory])
        #expect(loaded.boards.map(\.id) == ["good-board"])
        #expect(loaded.problems.count == 1)
    }
}
