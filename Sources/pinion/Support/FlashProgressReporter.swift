import Foundation
import PinionFirmware
import PinionSystem
import Synchronization

/// Shows flash progress: a live bar for one board on a terminal, a line per stage and per 25 %
/// otherwise (logs, several boards at once), or JSON lines with `--json`. Thread-safe: boards
/// flashing in parallel report from their own tasks.
final class FlashProgressReporter: Sendable {
    private struct BoardState {
        var started = ContinuousClock.now
        var stage: DFUFlashStage?
        /// The last quarter (lines) or percent (live bar) shown.
        var lastQuarter = -1
        var lastPercent = -1
    }

    private let json: Bool
    private let live: Bool
    private let state: Mutex<[String: BoardState]>

    init(json: Bool, boards: [String]) {
        self.json = json
        live = !json && boards.count == 1 && isatty(STDERR_FILENO) == 1
        state = Mutex(Dictionary(uniqueKeysWithValues: boards.map { ($0, BoardState()) }))
    }

    func report(_ serial: String, _ progress: DFUFlashProgress) {
        if json {
            // A line per stage and per whole percent: enough to draw a bar, without one line per block.
            let percent = progress.bytesTotal > 0 ? progress.bytesDone * 100 / progress.bytesTotal : 0
            let fresh = state.withLock { boards in
                var board = boards[serial] ?? BoardState()
                defer { boards[serial] = board }
                guard board.stage != progress.stage || board.lastPercent != percent else { return false }
                board.stage = progress.stage
                board.lastPercent = percent
                return true
            }
            guard fresh else { return }
            struct Event: Encodable { var event = "progress"; var serial: String; var stage: DFUFlashStage; var bytesDone: Int; var bytesTotal: Int }
            try? JSONOutput.printLine(Event(serial: serial, stage: progress.stage, bytesDone: progress.bytesDone, bytesTotal: progress.bytesTotal))
            return
        }
        let line: String? = state.withLock { boards in
            var board = boards[serial] ?? BoardState()
            defer { boards[serial] = board }
            let elapsed = ContinuousClock.now - board.started
            let seconds = max(elapsed.inSeconds, 0.001)
            guard progress.stage == .download, progress.bytesTotal > 0 else {
                guard board.stage != progress.stage else { return nil }
                board.stage = progress.stage
                return "\(serial): \(progress.stage.rawValue)"
            }
            board.stage = .download
            let fraction = Double(progress.bytesDone) / Double(progress.bytesTotal)
            // Called for every block: decide whether anything is shown before formatting it
            // (a bar at most per whole percent, lines per 25 %).
            let step = live ? Int(fraction * 100) : Int(fraction * 4)
            guard step != board.lastQuarter else { return nil }
            board.lastQuarter = step
            let rate = Double(progress.bytesDone) / seconds
            let eta = rate > 0 ? Double(progress.bytesTotal - progress.bytesDone) / rate : 0
            let figures = "\(Self.size(progress.bytesDone))/\(Self.size(progress.bytesTotal)) \(Self.size(Int(rate)))/s ETA \(Int(eta.rounded())) s"
            if live {
                let width = 30, filled = Int(fraction * Double(width))
                return "\r\(serial): [\(String(repeating: "#", count: filled))\(String(repeating: ".", count: width - filled))] "
                    + "\(step)% \(figures)\u{1B}[K"
            }
            return "\(serial): download \(step * 25)% \(figures)"
        }
        guard let line else { return }
        FileHandle.standardError.write(Data((live && line.hasPrefix("\r") ? line : (live ? "\n" + line : line + "\n")).utf8))
    }

    /// Prints one result line per board (or a JSON document); returns how many failed.
    func finish(_ outcomes: [(String, Result<DFUFlashResult, FlashError>)]) -> Int {
        if live { FileHandle.standardError.write(Data("\n".utf8)) }
        let failures = outcomes.filter { if case .failure = $0.1 { true } else { false } }.count
        if json {
            struct Line: Encodable { var event = "result"; var serial: String; var ok: Bool; var result: DFUFlashResult?; var error: String? }
            for (serial, outcome) in outcomes {
                switch outcome {
                case .success(let result): try? JSONOutput.printLine(Line(serial: serial, ok: true, result: result))
                case .failure(let error): try? JSONOutput.printLine(Line(serial: serial, ok: false, error: error.description))
                }
            }
            return failures
        }
        for (_, outcome) in outcomes {
            switch outcome {
            case .success(let r):
                let version = r.runtimeVersion.map { ", now running \($0)" } ?? ""
                print("flashed \(r.serial) (\(r.board)): \(Self.size(r.bytes)) in \(String(format: "%.1f", r.seconds)) s "
                      + "(\(Self.size(Int(r.bytesPerSecond)))/s), manifestation: \(r.manifest.summary), "
                      + "verified: \(r.verification.summary)\(version)")
            case .failure(let error):
                FileHandle.standardError.write(Data("error: \(error)\n".utf8))
            }
        }
        return failures
    }

    static func size(_ bytes: Int) -> String {
        if bytes >= 1 << 20 { return String(format: "%.1f MiB", Double(bytes) / Double(1 << 20)) }
        if bytes >= 1 << 10 { return String(format: "%.1f KiB", Double(bytes) / Double(1 << 10)) }
        return "\(bytes) B"
    }
}
