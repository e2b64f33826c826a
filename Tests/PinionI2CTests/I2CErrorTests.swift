import Foundation
import PinionI2C
import PinionI2CLinux
import Testing

@Suite("I2C errors")
struct I2CErrorTests {
    @Test(arguments: [
        (ENXIO, I2CError.Code.noAcknowledge), (EREMOTEIO, .noAcknowledge), (ENODEV, .noAcknowledge),
        (ETIMEDOUT, .timedOut), (EBUSY, .busy), (EACCES, .permissionDenied), (EPERM, .permissionDenied),
        (ENOENT, .noSuchBus), (EOPNOTSUPP, .notSupported), (ENOTTY, .notSupported), (EINVAL, .invalidArgument),
        (EAGAIN, .arbitrationLost), (EPROTO, .protocolError), (EBADMSG, .protocolError), (EIO, .io), (EDOM, .other),
    ])
    func transferErrnosAreClassified(errno: Int32, code: I2CError.Code) {
        #expect(I2CError.Code(transferErrno: errno) == code)
        #expect(I2CError(errno: errno, operation: .smbus("read byte")).errno == errno)
    }

    @Test func openErrnosMeanTheBusIsMissingOrForbidden() {
        #expect(I2CError.Code(openErrno: ENOENT) == .noSuchBus)
        #expect(I2CError.Code(openErrno: ENXIO) == .noSuchBus)
        #expect(I2CError.Code(openErrno: ENODEV) == .noSuchBus)
        #expect(I2CError.Code(openErrno: EACCES) == .permissionDenied)
        #expect(I2CError(errno: ENXIO, operation: .open).code == .noSuchBus)
    }

    @Test func everyCodeRoundTripsThroughItsCanonicalErrno() {
        for code in I2CError.Code.allCases where code != .other {
            #expect(I2CError.Code(transferErrno: code.canonicalErrno) == code)
        }
    }

    @Test func oneLineSaysWhatWhereAndWhatToDo() {
        let nack = I2CError(errno: EREMOTEIO, operation: .smbus("read word data"), bus: "i2c-1", address: 0x40, register: 0x02)
        #expect(nack.description == "i2c-1 0x40 reg 0x02: read word data failed: no acknowledge (EREMOTEIO); nothing answered at 0x40; check the address, the wiring and the chip's power")

        let denied = I2CError(errno: EACCES, operation: .open, bus: "i2c-1", detail: "/dev/i2c-1")
        #expect(denied.description == "i2c-1: open failed: permission denied (EACCES): /dev/i2c-1; add the user to group 'pinion' and install udev/70-pinion.rules, which gives /dev/i2c-* to that group")

        let claimed = I2CError(errno: EBUSY, operation: .setAddress, bus: "i2c-0", address: 0x48)
        #expect(claimed.isAddressClaimed)
        #expect(claimed.description.contains("address claimed by a kernel driver"))

        let missing = I2CError(errno: ENOENT, operation: .open, bus: "i2c-7")
        #expect(missing.description.contains("modprobe i2c-dev"))

        let timeout = I2CError(errno: ETIMEDOUT, operation: .transfer(messages: 2), bus: "i2c-1", address: 0x44)
        #expect(timeout.description.hasPrefix("i2c-1 0x44: transfer of 2 messages failed: timed out (ETIMEDOUT)"))
        #expect(I2CError(errno: 200, operation: .functionality).errnoName == "errno 200")
    }

    @Test func openingAMissingNodeIsNoSuchBus() {
        let error = #expect(throws: I2CError.self) { try LinuxI2CBus(path: "/nonexistent/i2c-99") }
        #expect(error?.code == .noSuchBus)
        #expect(error?.bus == "i2c-99")
        #expect(error?.detail == "/nonexistent/i2c-99")
    }

    @Test func aNodeThatIsNotI2cDevRefusesTheIoctls() throws {
        let bus = try LinuxI2CBus(path: "/dev/null", name: "not-i2c")
        let error = #expect(throws: I2CError.self) { try bus.functionality() }
        #expect(error?.code == .notSupported)
        #expect(error?.errnoName == "ENOTTY")
        let smbus = #expect(throws: I2CError.self) { try bus.readByte(address: 0x50) }
        #expect(smbus?.operation == .setAddress)
        #expect(smbus?.bus == "not-i2c")
    }
}
