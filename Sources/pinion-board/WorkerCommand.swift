import ArgumentParser
import PinionBoardFirmware

/// `pinion-board worker`: the reference worker of the exec backend's pipe protocol.
struct WorkerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "worker",
        abstract: "Serve the exec backend's pipe protocol on stdin and stdout with Pinion's int8 interpreter.",
        discussion: """
            The reference a vendor runtime's worker is written against: it reads board-protocol \
            frames (LOAD_MODEL, MODEL_CHUNK, INFER, UNLOAD_MODEL) on stdin and answers each on \
            stdout. `pinion-board run --backend exec --exec 'pinion-board worker'` runs models \
            through it.
            """)

    func run() throws {
        BackendWorker.serve(InterpreterBackend())
    }
}
