// swift-tools-version:6.0
import Foundation
import PackageDescription

// Layers, lowest first. Dependencies point down only; see docs/architecture.md.
let package = Package(
    name: "Pinion",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "pinion", targets: ["pinion"]),
        .executable(name: "pinion-bench", targets: ["pinion-bench"]),
        .executable(name: "pinion-board", targets: ["pinion-board"]),
        .library(name: "PinionSystem", targets: ["PinionSystem"]),
        .library(name: "PinionUSB", targets: ["PinionUSB"]),
        .library(name: "PinionUSBLinux", targets: ["PinionUSBLinux"]),
        .library(name: "PinionI2C", targets: ["PinionI2C"]),
        .library(name: "PinionI2CLinux", targets: ["PinionI2CLinux"]),
        .library(name: "PinionBoards", targets: ["PinionBoards"]),
        .library(name: "PinionFirmware", targets: ["PinionFirmware"]),
        .library(name: "PinionSensors", targets: ["PinionSensors"]),
        .library(name: "PinionEmulator", targets: ["PinionEmulator"]),
        .library(name: "PinionController", targets: ["PinionController"]),
        .library(name: "PinionBoardLink", targets: ["PinionBoardLink"]),
        .library(name: "PinionBoardFirmware", targets: ["PinionBoardFirmware"]),
        .library(name: "PinionModels", targets: ["PinionModels"]),
        .library(name: "PinionScheduler", targets: ["PinionScheduler"]),
        .library(name: "PinionLedger", targets: ["PinionLedger"]),
        .library(name: "PinionUpstream", targets: ["PinionUpstream"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.0"),
        .package(url: "https://github.com/LebJe/TOMLKit", from: "0.6.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.6.0"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.0.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.0.0"),
        .package(url: "https://github.com/apple/swift-protobuf", from: "1.39.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.0"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.35.0"),
    ],
    targets: [
        .systemLibrary(
            name: "CLibUSB",
            pkgConfig: "libusb-1.0",
            providers: [.apt(["libusb-1.0-0-dev"])]
        ),
        .systemLibrary(
            name: "CMosquitto",
            pkgConfig: "libmosquitto",
            providers: [.apt(["libmosquitto-dev"])]
        ),
        .systemLibrary(
            name: "CI2C",
            providers: [.apt(["libi2c-dev"])]
        ),
        .target(name: "PinionSystem"),
        .target(
            name: "PinionUSB",
            dependencies: ["PinionSystem", .product(name: "Logging", package: "swift-log")]
        ),
        .target(
            name: "PinionUSBLinux",
            dependencies: ["CLibUSB", "PinionUSB"]
        ),
        .target(
            name: "PinionI2C",
            dependencies: [.product(name: "Logging", package: "swift-log")]
        ),
        .target(
            name: "PinionI2CLinux",
            dependencies: ["CI2C", "PinionI2C"]
        ),
        .target(
            name: "PinionBoards",
            dependencies: ["PinionUSB", "PinionI2C", "PinionSystem", "PinionSensors", .product(name: "TOMLKit", package: "TOMLKit")]
        ),
        .target(
            name: "PinionSensors",
            dependencies: ["PinionI2C"]
        ),
        .target(
            name: "PinionFirmware",
            dependencies: ["PinionUSB", "PinionBoards", "PinionSystem", .product(name: "Crypto", package: "swift-crypto")]
        ),
        .target(
            name: "PinionEmulator",
            dependencies: ["PinionUSB", "PinionI2C", "PinionBoards", "PinionFirmware", "PinionBoardLink", "PinionModels", "PinionSensors", "PinionSystem",
                           .product(name: "Crypto", package: "swift-crypto")]
        ),
        .executableTarget(
            name: "pinion",
            dependencies: [
                "PinionUSB", "PinionI2C", "PinionBoards", "PinionSensors", "PinionFirmware", "PinionEmulator", "PinionController",
                "PinionScheduler", "PinionModels", "PinionLedger", "PinionUpstream", "PinionBoardLink", "PinionSystem", "PinionUSBLinux",
                "PinionI2CLinux",
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        .target(name: "PinionModels", resources: [.copy("Resources/digits-mlp.pnm"), .copy("Resources/digits-test.bin")]),
        .target(
            name: "PinionBoardLink",
            dependencies: ["PinionUSB", "PinionSystem", .product(name: "Crypto", package: "swift-crypto")]
        ),
        .target(
            name: "PinionBoardFirmware",
            dependencies: ["PinionBoardLink", "PinionModels", "PinionFirmware", "PinionBoards", "PinionSensors", "PinionI2C", "PinionUSB", "PinionSystem",
                           .product(name: "Crypto", package: "swift-crypto")]
        ),
        .executableTarget(
            name: "pinion-board",
            dependencies: ["PinionBoardFirmware", "PinionBoards", "PinionFirmware", "PinionI2C", "PinionI2CLinux", "PinionSensors",
                           .product(name: "ArgumentParser", package: "swift-argument-parser")]
        ),
        .target(
            name: "PinionScheduler",
            dependencies: ["PinionBoardLink", "PinionModels", .product(name: "GRDB", package: "GRDB.swift"),
                           .product(name: "Crypto", package: "swift-crypto"), .product(name: "CoreMetrics", package: "swift-metrics")]
        ),
        .target(
            name: "PinionLedger",
            dependencies: ["PinionFirmware", .product(name: "Crypto", package: "swift-crypto")]
        ),
        .target(
            name: "PinionUpstream",
            dependencies: ["CMosquitto", .product(name: "GRDB", package: "GRDB.swift"),
                           .product(name: "SwiftProtobuf", package: "swift-protobuf")]
        ),
        .target(
            name: "PinionController",
            dependencies: ["PinionUSB", "PinionI2C", "PinionBoards", "PinionSensors", "PinionScheduler", "PinionBoardLink", "PinionModels",
                           "PinionFirmware", "PinionLedger", "PinionUpstream", "PinionSystem", .product(name: "Crypto", package: "swift-crypto"),
                           .product(name: "Hummingbird", package: "hummingbird"),
                           .product(name: "HummingbirdCore", package: "hummingbird"),
                           .product(name: "NIOCore", package: "swift-nio"),
                           .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                           .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                           .product(name: "Logging", package: "swift-log"),
                           .product(name: "CoreMetrics", package: "swift-metrics"),
                           .product(name: "Prometheus", package: "swift-prometheus")]
        ),
        .target(name: "PinionTestSupport", dependencies: ["PinionUpstream", "PinionSystem"]),
        .target(
            name: "PinionBenchmarks",
            dependencies: ["PinionSensors", "PinionEmulator", "PinionI2C", "PinionBoards", "PinionScheduler", "PinionBoardLink", "PinionModels",
                           "PinionUSB", "PinionLedger", "PinionFirmware", "PinionUpstream", "PinionTestSupport", "PinionController", "PinionSystem"]
        ),
        .executableTarget(
            name: "pinion-bench",
            dependencies: ["PinionBenchmarks", "PinionBoards", "PinionScheduler", "PinionTestSupport", "PinionSystem",
                           .product(name: "ArgumentParser", package: "swift-argument-parser")]
        ),
        .testTarget(name: "PinionUSBTests", dependencies: ["PinionUSB", "PinionUSBLinux", "PinionEmulator"]),
        .testTarget(name: "PinionI2CTests", dependencies: ["PinionI2C", "PinionI2CLinux", "PinionEmulator"]),
        .testTarget(name: "PinionBoardsTests", dependencies: ["PinionBoards", "PinionEmulator", "PinionUSB"]),
        .testTarget(name: "PinionEmulatorTests", dependencies: ["PinionEmulator", "PinionUSB"]),
        .testTarget(name: "PinionSensorsTests", dependencies: ["PinionSensors", "PinionEmulator", "PinionBenchmarks", "PinionBoards", "PinionI2C"]),
        .testTarget(name: "PinionFirmwareTests", dependencies: ["PinionFirmware", "PinionEmulator", "PinionTestSupport", "PinionBoards", "PinionUSB",
                                                          .product(name: "Crypto", package: "swift-crypto")],
                    resources: [.copy("Fixtures")]),
        .testTarget(name: "PinionModelsTests", dependencies: ["PinionModels"]),
        .testTarget(name: "PinionBoardLinkTests", dependencies: ["PinionBoardLink", "PinionEmulator", "PinionModels", "PinionBoards", "PinionUSB"]),
        .testTarget(name: "PinionBoardFirmwareTests", dependencies: ["PinionBoardFirmware", "PinionBoardLink", "PinionModels", "PinionEmulator",
                                                                    "PinionUSB", "PinionFirmware", "PinionTestSupport",
                                                                    .product(name: "Crypto", package: "swift-crypto")]),
        .testTarget(name: "PinionSchedulerTests", dependencies: ["PinionScheduler", "PinionEmulator", "PinionModels", "PinionBoardLink", "PinionBoards", "PinionUSB",
                                                                .product(name: "GRDB", package: "GRDB.swift")]),
        .testTarget(name: "PinionUpstreamTests", dependencies: ["PinionUpstream", "PinionSystem", "PinionTestSupport",
                                                               .product(name: "GRDB", package: "GRDB.swift")],
                    resources: [.copy("Resources")]),
        .testTarget(name: "PinionLedgerTests", dependencies: ["PinionLedger", "PinionFirmware", .product(name: "Crypto", package: "swift-crypto")]),
        .testTarget(name: "PinionControllerTests", dependencies: ["PinionController", "PinionEmulator", "PinionSystem", "PinionTestSupport", "PinionBoardLink",
                                                                 "PinionBoards", "PinionModels", "PinionScheduler", "PinionSensors", "PinionUpstream",
                                                                 .product(name: "Logging", package: "swift-log"),
                                                                 .product(name: "ServiceLifecycle", package: "swift-service-lifecycle")]),
        .testTarget(name: "PinionCLITests", dependencies: ["PinionBoards", "PinionUSB", "PinionController", "PinionModels", "PinionScheduler",
                                                          "PinionLedger", "PinionUpstream", "PinionEmulator", "PinionTestSupport", "PinionBenchmarks", "PinionSystem",
                                                          "PinionFirmware", "PinionSensors"]),
    ],
    swiftLanguageModes: [.v6]
)

// Fuzzing (scripts/fuzz, docs/fuzzing.md): when PINION_FUZZ_RUNTIME names libFuzzer's no-main runtime
// (libclang_rt.fuzzer_no_main), the package also has the pinion-fuzz executable, and Pinion's own
// targets are compiled with libFuzzer's coverage instrumentation and AddressSanitizer (LeakSanitizer
// included). The ordinary build never sees either; scripts/fuzz builds in .build-fuzz.
if let fuzzerRuntime = ProcessInfo.processInfo.environment["PINION_FUZZ_RUNTIME"] {
    for target in package.targets where target.type == .regular && target.name.hasPrefix("Pinion") {
        target.swiftSettings = (target.swiftSettings ?? []) + [.unsafeFlags(["-sanitize=fuzzer,address", "-enable-testing"])]
    }
    package.targets.append(.executableTarget(
        name: "pinion-fuzz",
        dependencies: ["PinionBoardLink", "PinionUSB", "PinionFirmware", "PinionBoards", "PinionController", "PinionUpstream",
                       "PinionLedger", "PinionScheduler", "PinionEmulator", .product(name: "Crypto", package: "swift-crypto"),
                       .product(name: "SwiftProtobuf", package: "swift-protobuf")],
        swiftSettings: [.unsafeFlags(["-sanitize=address"])],
        linkerSettings: [.unsafeFlags(["-sanitize=address", "-Xlinker", fuzzerRuntime, "-lstdc++"])]
    ))
}
