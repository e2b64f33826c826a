import PinionBoards

/// Gathers the problems of one configuration file: each read runs through `value`, a problem is
/// kept and reading goes on, so `pinion config check` can say every one of them, a line each.
final class ConfigurationProblems {
    private(set) var all: [CatalogueError] = []

    /// What `read` returns, or nil (the problem noted) when it throws.
    func value<T>(_ read: () throws(CatalogueError) -> T?) -> T? {
        do {
            return try read()
        } catch {
            all.append(error)
            return nil
        }
    }

    /// Runs a read that returns nothing (`finish()`), noting its problem.
    func check(_ read: () throws(CatalogueError) -> Void) {
        do { try read() } catch { all.append(error) }
    }

    func add(_ problem: CatalogueError) { all.append(problem) }
}
