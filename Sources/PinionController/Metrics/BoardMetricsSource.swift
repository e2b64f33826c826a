/// The attached boards at a scrape: `pinion_board_info` for each, and the temperature and power
/// of those whose TELEMETRY has been read.
public struct BoardMetricsSource: MetricsSource {
    public let linker: BoardLinker

    public init(linker: BoardLinker) { self.linker = linker }

    public func samples() async -> [MetricSample] {
        var samples: [MetricSample] = []
        for board in await linker.attachedBoards() {
            samples.append(MetricSample(.boardInfo, [board.serial, board.model, board.firmware, board.mode], 1))
            if let celsius = board.celsius { samples.append(MetricSample(.boardTemperature, [board.serial], celsius)) }
            if let watts = board.watts { samples.append(MetricSample(.boardPower, [board.serial], watts)) }
        }
        return samples
    }
}
