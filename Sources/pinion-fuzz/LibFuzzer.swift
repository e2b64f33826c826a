import Foundation

/// libFuzzer's callback: one input, 0 when it was handled (anything but a crash, hang or leak is).
typealias FuzzerTestOneInput = @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32

/// libFuzzer's driver, from the no-main runtime (libclang_rt.fuzzer_no_main) that the fuzz build links.
@_silgen_name("LLVMFuzzerRunDriver")
private func LLVMFuzzerRunDriver(_ argc: UnsafeMutablePointer<Int32>,
                                 _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
                                 _ callback: FuzzerTestOneInput) -> Int32

/// Runs libFuzzer on one target: the process's main calls it with the arguments meant for libFuzzer.
enum LibFuzzer {
    /// The target the C callback hands each input to; set once, before the driver starts.
    nonisolated(unsafe) private static var current: FuzzTarget?

    static func run(_ target: FuzzTarget, arguments: [String]) -> Int32 {
        current = target
        var pointers: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        var count = Int32(arguments.count)
        return pointers.withUnsafeMutableBufferPointer { buffer in
            var argv = buffer.baseAddress
            return LLVMFuzzerRunDriver(&count, &argv) { data, size in
                let bytes = size == 0 ? [] : Array(UnsafeBufferPointer(start: data, count: size))
                LibFuzzer.current?.run(bytes)
                return 0
            }
        }
    }
}
