import Testing
@testable import PinionFirmware

@Suite struct FirmwarePolicyTests {
    let strict = FirmwarePolicy()
    let board = InstalledFirmware(version: ImageVersion(major: 1, minor: 2, revision: 3, build: 4), securityCounter: 5)

    func load(_ fixture: String) throws -> FirmwareImage {
        try FirmwareImage.load(ImageFixtures.bytes(fixture), name: fixture)
    }

    @Test func acceptsATrustedImageOfTheSameOrNewerVersion() throws {
        let store = try ImageFixtures.trustStore()
        let verdict = try strict.evaluate(try load("signed.img"), trustStore: store, installed: board)
        #expect(verdict.signer == "test")
        #expect(verdict.isClean)
        #expect(verdict.version?.description == "1.2.3+4")
        #expect(verdict.securityCounter == 5)
        #expect(try strict.evaluate(try load("signed-full-key.img"), trustStore: store, installed: board).isClean)
        #expect(try strict.evaluate(try load("signed-pure.img"), trustStore: store, installed: board).isClean)
        // Nothing known about the board: no downgrade check.
        #expect(try strict.evaluate(try load("signed-v1.1.0-sc5.img"), trustStore: store).isClean)
    }

    @Test func refusesUnsignedUnlessAllowed() throws {
        let store = try ImageFixtures.trustStore()
        for fixture in ["unsigned.img", "raw.bin", "with-suffix.bin", "dfuse.dfu"] {
            let image = try load(fixture)
            let error = try #require(ImageFixtures.policyError { () throws(FirmwarePolicyError) in
                try strict.evaluate(image, trustStore: store, installed: board)
            })
            #expect(error.rule == .unsigned, "\(fixture)")
            #expect(error.overrideFlag == "--allow-unsigned")
            #expect(error.description.hasSuffix("; pass --allow-unsigned to flash it anyway"))
            let verdict = try FirmwarePolicy(allowUnsigned: true).evaluate(image, trustStore: store, installed: board)
            #expect(verdict.signer == nil)
            #expect(verdict.overrides.count == 1)
            #expect(verdict.overrides.first?.hasPrefix("--allow-unsigned: ") == true)
        }
        let message = ImageFixtures.policyError { () throws(FirmwarePolicyError) in
            try strict.evaluate(try! load("raw.bin"), trustStore: store)
        }?.description
        #expect(message == "raw.bin: refused: a raw binary file carries no signature; pass --allow-unsigned to flash it anyway")
    }

    @Test func refusesAnUntrustedKeyUnlessAllowed() throws {
        let store = try ImageFixtures.trustStore()
        let image = try load("signed-other-key.img")
        let error = try #require(ImageFixtures.policyError { () throws(FirmwarePolicyError) in
            try strict.evaluate(image, trustStore: store, installed: board)
        })
        #expect(error.rule == .untrusted)
        #expect(error.reason.hasPrefix("signed by a key that is not in the trust store (the built-in trust store, 1 key); image key id "))
        #expect(try FirmwarePolicy(allowUnsigned: true).evaluate(image, trustStore: store).overrides.count == 1)
        // An empty trust store trusts nothing.
        #expect(ImageFixtures.policyError { () throws(FirmwarePolicyError) in
            try strict.evaluate(try! load("signed.img"), trustStore: .empty)
        }?.rule == .untrusted)
    }

    @Test func tamperedImagesAreRefusedWhateverTheFlags() throws {
        let store = try ImageFixtures.trustStore()
        let everything = FirmwarePolicy(allowUnsigned: true, allowDowngrade: true)
        let original = try ImageFixtures.bytes("signed.img")
        for (offset, what) in [(0x200 + 1000, "payload"), (22, "header version"), (4, "header load address")] {
            var bytes = original
            bytes[offset] ^= 0x40
            let image = try FirmwareImage.load(bytes, name: "t.img")
            let error = try #require(ImageFixtures.policyError { () throws(FirmwarePolicyError) in
                try everything.evaluate(image, trustStore: store)
            }, "\(what)")
            #expect(error.rule == .integrity)
            #expect(error.overrideFlag == nil)
            #expect(error.description.contains("hash does not match"))
            #expect(error.description.hasSuffix("; no flag overrides this, get an intact image"))
        }
        var forged = original
        forged[forged.count - 10] ^= 0x01
        let forgedImage = try FirmwareImage.load(forged, name: "f.img")
        let error = ImageFixtures.policyError { () throws(FirmwarePolicyError) in
            try everything.evaluate(forgedImage, trustStore: store)
        }
        #expect(error?.rule == .integrity)
        #expect(error?.reason == "the signature names trusted key \"test\" but does not verify: the image was altered or forged")
    }

    @Test func refusesDowngradesUnlessAllowed() throws {
        let store = try ImageFixtures.trustStore()
        let older = try load("signed-v1.1.0-sc5.img")
        var error = try #require(ImageFixtures.policyError { () throws(FirmwarePolicyError) in
            try strict.evaluate(older, trustStore: store, installed: board)
        })
        #expect(error.rule == .downgradeVersion)
        #expect(error.description == "signed-v1.1.0-sc5.img: refused: version 1.1.0 is older than the board's 1.2.3+4; pass --allow-downgrade to flash it anyway")

        let lowerCounter = try load("signed-v1.3.0-sc3.img")
        error = try #require(ImageFixtures.policyError { () throws(FirmwarePolicyError) in
            try strict.evaluate(lowerCounter, trustStore: store, installed: board)
        })
        #expect(error.rule == .downgradeSecurityCounter)
        #expect(error.reason == "security counter 3 is lower than the board's 5")

        let allowed = FirmwarePolicy(allowDowngrade: true)
        let verdict = try allowed.evaluate(older, trustStore: store, installed: board)
        #expect(verdict.signer == "test")
        #expect(verdict.overrides == ["--allow-downgrade: version 1.1.0 is older than the board's 1.2.3+4"])
        #expect(try allowed.evaluate(lowerCounter, trustStore: store, installed: board).overrides.first?.contains("rollback protection") == true)

        // No counter in the image, board has one.
        #expect(ImageFixtures.policyError { () throws(FirmwarePolicyError) in
            try strict.evaluate(try! load("no-counter.img"), trustStore: store, installed: InstalledFirmware(securityCounter: 1))
        }?.rule == .downgradeSecurityCounter)
        // The same build with a lower build number is not a downgrade.
        #expect(try strict.evaluate(try load("signed.img"), trustStore: store,
                                    installed: InstalledFirmware(version: ImageVersion("1.2.3+9"))).isClean)
    }

    @Test func bothOverridesTogether() throws {
        let verdict = try FirmwarePolicy(allowUnsigned: true, allowDowngrade: true)
            .evaluate(try load("signed-other-key.img"), trustStore: try ImageFixtures.trustStore(),
                      installed: InstalledFirmware(version: ImageVersion(major: 9), securityCounter: 99))
        #expect(verdict.overrides.map { $0.prefix(18) } == ["--allow-unsigned: ", "--allow-downgrade:", "--allow-downgrade:"])
    }
}
