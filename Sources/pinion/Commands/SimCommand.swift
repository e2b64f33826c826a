import ArgumentParser
import Crypto
import Foundation
import PinionBoards
import PinionController
import PinionEmulator
import PinionUSB
import Synchronization

/// `pinion sim`: serves the simulated gateway's boards over USB/IP, optionally attaching them to
/// this machine's vhci-hcd so the real kernel, libusb, lsusb and dfu-util see them. Reads
/// `unplug PATH`, `plug PATH` and `reenumerate PATH runtime|bootloader` lines on stdin.
struct SimCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sim",
        abstract: "Serve emulated boards over USB/IP (for the hardware lab and for trying Pinion with real USB tools).",
        discussion: """
            Commands on standard input, one per line: 'unplug 1-2', 'plug 1-2', 'reenumerate 1-1 bootloader', \
            'dfu 1 8' (bootloaders busy for one 8 ms poll per block from their next enumeration), 'list'.

            With --attach (root, modprobe vhci-hcd) every exported board is attached to the local kernel, \
            and boards that re-enumerate are attached again, as a real board re-appears on its port.
            """)

    @Option(name: .customLong("boards"), help: ArgumentHelp("Board catalogue directory.", valueName: "dir"))
    var boardsDirectory: String?

    @Option(help: "TCP port on 127.0.0.1 (3240 is USB/IP's; 0 picks a free one).")
    var port: UInt16 = 3240

    @Flag(help: "Attach the exported boards to this machine's vhci-hcd.")
    var attach = false

    @Option(help: "GETSTATUS replies the emulated bootloaders spend in dfuMANIFEST (0: manifest at once).")
    var dfuManifestPolls: Int?

    @Option(help: "GETSTATUS replies the emulated bootloaders spend in dfuDNBUSY per block.")
    var dfuBusyPolls: Int?

    @Option(help: "bwPollTimeout, in ms, the emulated bootloaders report while busy or manifesting.")
    var dfuPollTimeout: UInt32?

    func run() async throws {
        let catalogue = try BoardCatalogue.load(directories: BoardCatalogue.searchPath(explicit: boardsDirectory))
        let gateway = SimulatedGateway(catalogue: catalogue)
        for fault in try SimulatedBoardFaults.apply(to: gateway) { say("fault: \(fault)") }
        for board in gateway.boards {
            var behaviour = board.dfuBehaviour
            if let dfuManifestPolls { behaviour.manifestPolls = dfuManifestPolls }
            if let dfuBusyPolls { behaviour.busyPolls = dfuBusyPolls }
            if let dfuPollTimeout { behaviour.pollTimeoutMilliseconds = dfuPollTimeout }
            board.dfuBehaviour = behaviour
            if board.currentMode == .bootloader { board.reenumerate(as: .bootloader) }
        }
        let server = try USBIPServer(host: gateway.usb, port: port, log: { say($0) })
        let arrivals = try gateway.usb.hotplugEvents(includeExisting: false)
        server.start()
        for record in server.records() {
            say("exporting \(record.busID) \(record.descriptor.id) on 127.0.0.1:\(server.port)")
        }
        if attach {
            for record in server.records() { attachToKernel(record.busID, server: server) }
            // Each board that (re-)enumerates is attached on a thread of its own, a moment after it
            // appears, as a real port would see it; boards re-enumerating together are not queued
            // behind one another. Choosing a free vhci port and claiming it is one critical section.
            let attachLock = Mutex(())
            Task.detached {
                for await event in arrivals {
                    guard case .arrived(let info) = event else { continue }
                    Thread.detachNewThread {
                        Thread.sleep(forTimeInterval: 0.1)
                        attachLock.withLock { _ in attachToKernel(info.location.path, server: server) }
                    }
                }
            }
        }
        for board in gateway.boards {
            let path = USBPortPath(bus: gateway.usb.bus, ports: board.ports).description
            board.onManifest { manifestation in
                let digest = SHA256.hash(data: manifestation.image).map { String(format: "%02x", $0) }.joined()
                let timing = manifestation.downloadSeconds.map { String(format: " in %.3f s", $0) } ?? ""
                say("manifested \(path) \(board.serial): \(manifestation.image.count) bytes sha256 \(digest)\(timing)")
            }
        }
        say("ready")
        Thread.detachNewThread { readCommands(gateway) }
        let signal = await StopSignal.install([SIGINT, SIGTERM]).wait()
        say("stopping (\(signal == SIGTERM ? "SIGTERM" : "SIGINT"))")
        server.stop()
    }

    private func attachToKernel(_ busID: String, server: USBIPServer) {
        do {
            let vhciPort = try VHCIAttacher.attach(busID: busID, serverPort: server.port)
            say("attached \(busID) to vhci-hcd port \(vhciPort)")
        } catch {
            say("error: attach \(busID): \(error)")
        }
    }
}

/// Applies stdin commands to the simulated gateway until end of input.
private func readCommands(_ gateway: SimulatedGateway) {
    while let line = readLine() {
        let words = line.split(separator: " ").map(String.init)
        guard let verb = words.first else { continue }
        let board = words.count > 1 ? gateway.boards.first { USBPortPath(bus: gateway.usb.bus, ports: $0.ports).description == words[1] } : nil
        switch (verb, board) {
        case ("list", _):
            for info in (try? gateway.usb.devices(readStrings: false)) ?? [] { say("\(info.location.path) \(info.id)") }
        case ("unplug", let board?):
            board.unplug()
            say("unplugged \(words[1])")
        case ("plug", let board?):
            board.plugIn()
            say("plugged \(words[1])")
        case ("reenumerate", let board?):
            guard words.count == 3, let mode = EmulatedBoardMode(rawValue: words[2]) else {
                say("error: usage: reenumerate PATH runtime|bootloader")
                continue
            }
            board.reenumerate(as: mode)
            say("re-enumerated \(words[1]) as \(mode.rawValue)")
        case ("dfu", _):
            guard words.count == 3, let busy = Int(words[1]), let pollMilliseconds = UInt32(words[2]) else {
                say("error: usage: dfu BUSY_POLLS POLL_MS")
                continue
            }
            for board in gateway.boards {
                var behaviour = board.dfuBehaviour
                behaviour.busyPolls = busy
                behaviour.pollTimeoutMilliseconds = pollMilliseconds
                board.dfuBehaviour = behaviour
            }
            say("bootloaders from their next enumeration: \(busy) busy poll(s) of \(pollMilliseconds) ms per block")
        case (_, nil) where ["unplug", "plug", "reenumerate"].contains(verb):
            say("error: no emulated board at '\(words.dropFirst().first ?? "")' (see 'list')")
        default:
            say("error: unknown command '\(verb)' (unplug PATH, plug PATH, reenumerate PATH MODE, dfu BUSY_POLLS POLL_MS, list)")
        }
    }
}

private func say(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}
