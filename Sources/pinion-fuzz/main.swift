import Foundation

// pinion-fuzz TARGET [libFuzzer options] [corpus directories or files]
//   libFuzzer starts itself again for -merge, -minimize_crash and -fork with the arguments it was
//   given, which no longer name the target: the target goes to them in PINION_FUZZ_TARGET.
// pinion-fuzz list                 the targets, one a line
// pinion-fuzz seeds DIRECTORY      writes the generated seeds (frames, descriptors, NCMD, ledger lines, tasks)
let arguments = CommandLine.arguments
guard arguments.count >= 2 else {
    FileHandle.standardError.write(Data("usage: pinion-fuzz TARGET [libFuzzer options] [corpus...] | list | seeds DIRECTORY\n".utf8))
    exit(2)
}
switch arguments[1] {
case "list":
    for target in FuzzTarget.all { print("\(target.name)\t\(target.summary)") }
case "seeds":
    guard arguments.count == 3 else {
        FileHandle.standardError.write(Data("usage: pinion-fuzz seeds DIRECTORY\n".utf8))
        exit(2)
    }
    do {
        try SeedWriter(directory: arguments[2]).writeAll()
    } catch {
        FileHandle.standardError.write(Data("pinion-fuzz seeds: \(error)\n".utf8))
        exit(1)
    }
default:
    if let name = ProcessInfo.processInfo.environment["PINION_FUZZ_TARGET"], FuzzTarget.named(arguments[1]) == nil,
       let target = FuzzTarget.named(name) {
        exit(LibFuzzer.run(target, arguments: arguments))
    }
    guard let target = FuzzTarget.named(arguments[1]) else {
        let names = FuzzTarget.all.map(\.name).joined(separator: ", ")
        FileHandle.standardError.write(Data("pinion-fuzz: no target \"\(arguments[1])\" (targets: \(names))\n".utf8))
        exit(2)
    }
    setenv("PINION_FUZZ_TARGET", target.name, 1)
    exit(LibFuzzer.run(target, arguments: [arguments[0]] + arguments.dropFirst(2)))
}
