/// A failure a command reports as one line (`Error: …`) with exit status 1.
struct CommandError: Error, CustomStringConvertible {
    let description: String

    init(_ description: String) { self.description = description }
}
