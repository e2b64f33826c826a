import Foundation
import PinionUSB

/// Every board model Pinion knows, loaded from `boards/*.toml` in one or more directories.
///
/// Later directories override earlier ones by board id (site files in /etc/pinion/boards
/// replace shipped ones). A file that fails validation is left out and reported in `problems`,
/// so one bad file does not take the whole catalogue down.
public struct BoardCatalogue: Sendable {
    /// Valid boards, sorted by id.
    public let boards: [BoardDescriptor]
    /// One error per file that could not be used, and per USB id claimed by two boards.
    public let problems: [CatalogueError]
    /// The directories read, in order.
    public let directories: [String]

    public init(boards: [BoardDescriptor], problems: [CatalogueError] = [], directories: [String] = []) {
        self.boards = boards.sorted { $0.id < $1.id }
        self.problems = problems
        self.directories = directories
    }

    /// Loads every `*.toml` in `directories`. Throws only when a directory cannot be read at all.
    public static func load(directories: [String]) throws(CatalogueError) -> BoardCatalogue {
        var byID: [String: BoardDescriptor] = [:]
        var problems: [CatalogueError] = []
        for directory in directories {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
                throw CatalogueError(file: directory, key: "", message: "no such board catalogue directory (install the boards/ directory there, or name one with --boards DIR or PINION_BOARDS)")
            }
            let entries: [String]
            do {
                entries = try FileManager.default.contentsOfDirectory(atPath: directory)
            } catch {
                throw CatalogueError(file: directory, key: "", message: "cannot read the board catalogue directory (\((error as NSError).localizedDescription))")
            }
            for entry in entries.sorted() where entry.hasSuffix(".toml") {
                let path = (directory as NSString).appendingPathComponent(entry)
                do {
                    let board = try BoardDescriptorLoader.load(path: path)
                    byID[board.id] = board
                    problems.removeAll { URL(fileURLWithPath: $0.file).deletingPathExtension().lastPathComponent == board.id }
                } catch {
                    problems.append(error)
                }
            }
        }
        var boards = byID.values.sorted { $0.id < $1.id }
        problems += duplicateIDs(&boards)
        return BoardCatalogue(boards: boards, problems: problems, directories: directories)
    }

    /// Removes boards whose USB identity another board already has, reporting both files.
    private static func duplicateIDs(_ boards: inout [BoardDescriptor]) -> [CatalogueError] {
        var owners: [USBID: (board: BoardDescriptor, product: String?)] = [:]
        var problems: [CatalogueError] = []
        var rejected: Set<String> = []
        for board in boards {
            for (mode, identity) in board.identities {
                if let owner = owners[identity.id], owner.board.id != board.id,
                   owner.product == nil || identity.product == nil || owner.product == identity.product {
                    problems.append(CatalogueError(file: board.source, key: "usb.\(mode.rawValue).id",
                                                   message: "\(identity.id) is already used by \(owner.board.source); give both a distinct 'product' string or remove one"))
                    rejected.insert(board.id)
                } else if owners[identity.id] == nil {
                    owners[identity.id] = (board, identity.product)
                }
            }
        }
        boards.removeAll { rejected.contains($0.id) }
        return problems
    }

    public func board(id: String) -> BoardDescriptor? {
        boards.first { $0.id == id }
    }

    /// The board model and mode a device with these ids (and product string, when known) is.
    public func match(_ id: USBID, product: String?) -> (board: BoardDescriptor, mode: BoardMode)? {
        var fallback: (board: BoardDescriptor, mode: BoardMode)?
        for board in boards {
            for (mode, identity) in board.identities where identity.id == id {
                if identity.product == nil || identity.product == product { return (board, mode) }
                if product == nil && fallback == nil { fallback = (board, mode) }
            }
        }
        return fallback
    }

    /// Where the catalogue is, most specific first:
    /// `explicit` (`--boards`), else `$PINION_BOARDS`, else the shipped catalogue (the `boards/`
    /// of the source checkout the executable was built in, else `<prefix>/share/pinion/boards`,
    /// else /usr/share/pinion/boards) followed by /etc/pinion/boards when that exists.
    public static func searchPath(explicit: String?, environment: [String: String] = ProcessInfo.processInfo.environment,
                                  executablePath: String = CommandLine.arguments.first ?? "",
                                  etcDirectory: String = "/etc/pinion/boards",
                                  fileExists: (String) -> Bool = { FileManager.default.fileExists(atPath: $0) }) -> [String] {
        if let explicit { return [explicit] }
        if let fromEnvironment = environment["PINION_BOARDS"], !fromEnvironment.isEmpty { return [fromEnvironment] }
        let executable = URL(fileURLWithPath: executablePath).resolvingSymlinksInPath()
        var shipped: String?
        var directory = executable.deletingLastPathComponent()
        while directory.path != "/" && shipped == nil {
            if fileExists(directory.appendingPathComponent("Package.swift").path),
               fileExists(directory.appendingPathComponent("boards").path) {
                shipped = directory.appendingPathComponent("boards").path
            }
            directory = directory.deletingLastPathComponent()
        }
        let prefixShare = executable.deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("share/pinion/boards").path
        let base = shipped ?? (fileExists(prefixShare) ? prefixShare : "/usr/share/pinion/boards")
        return fileExists(etcDirectory) ? [base, etcDirectory] : [base]
    }
}
