import Foundation
import PinionUSB

/// Attaches a USB/IP-exported device to the local kernel's vhci-hcd the way `usbip attach`
/// does: import it over a TCP connection, then hand that socket to the kernel through sysfs.
/// Needs root and `modprobe vhci-hcd`.
public enum VHCIAttacher {
    /// Where vhci-hcd's attach and status files are.
    public static let sysfsRoot = "/sys/devices/platform/vhci_hcd.0"

    /// A free vhci port for a device of `speed` (`hs` ports for USB 2 speeds, `ss` for SuperSpeed),
    /// on the controller with the fewest devices attached. vhci-hcd loaded with `nr_hcs=N` has N
    /// controllers (status, status.1, ...; port numbers are global), each with its own root hub:
    /// the kernel enumerates one hub's ports one after another, so spreading boards over
    /// controllers lets re-plugged boards enumerate side by side, as boards on separate hubs do.
    public static func freePort(speed: USBSpeed, sysfsRoot: String = sysfsRoot) throws -> Int {
        let hub = speed == .superSpeed || speed == .superSpeedPlus ? "ss" : "hs"
        let files = ((try? FileManager.default.contentsOfDirectory(atPath: sysfsRoot)) ?? [])
            .filter { $0 == "status" || $0.hasPrefix("status.") }.sorted()
        guard !files.isEmpty else {
            throw VHCIError("vhci-hcd is not loaded (no \(sysfsRoot)/status): modprobe vhci-hcd")
        }
        let controllers = files.map { file in
            VHCIStatus(parsing: (try? String(contentsOfFile: "\(sysfsRoot)/\(file)", encoding: .utf8)) ?? "")
        }
        guard let port = VHCIStatus.leastLoadedFreePort(hub: hub, controllers: controllers) else {
            throw VHCIError("no free \(hub) port on vhci-hcd (load it with nr_hcs=N for more controllers)")
        }
        return port
    }

    /// Imports `busID` from the USB/IP server at 127.0.0.1:`serverPort` and attaches it; returns the vhci port.
    @discardableResult
    public static func attach(busID: String, serverPort: UInt16, sysfsRoot: String = sysfsRoot) throws -> Int {
        let socket = try TCPSocket.connect(host: "127.0.0.1", port: serverPort)
        try socket.write(USBIPBytes.be16(USBIPProtocol.version) + USBIPBytes.be16(USBIPProtocol.opRequestImport)
                         + USBIPBytes.be32(0) + USBIPBytes.fixedString(busID, length: 32))
        let reply = try socket.read(exactly: 8)
        guard USBIPBytes.read16(reply, 2) == USBIPProtocol.opReplyImport, USBIPBytes.read32(reply, 4) == 0 else {
            socket.close()
            throw VHCIError("the USB/IP server refused to export \(busID)")
        }
        let device = try socket.read(exactly: 312)
        let busNumber = USBIPBytes.read32(device, 288), deviceNumber = USBIPBytes.read32(device, 292)
        let speedCode = USBIPBytes.read32(device, 296)
        let speed: USBSpeed = USBSpeed.allCases.first { USBIPProtocol.speedCode($0) == speedCode } ?? .high
        let port = try freePort(speed: speed, sysfsRoot: sysfsRoot)
        let line = "\(port) \(socket.descriptor) \(busNumber << 16 | deviceNumber) \(speedCode)"
        do {
            try line.write(toFile: "\(sysfsRoot)/attach", atomically: false, encoding: .utf8)
        } catch {
            socket.close()
            throw VHCIError("writing '\(line)' to \(sysfsRoot)/attach failed: \(error.localizedDescription)")
        }
        socket.release()
        return port
    }
}

/// Attaching to vhci-hcd failed; says why and what to do.
public struct VHCIError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
