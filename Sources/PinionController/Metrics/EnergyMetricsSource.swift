import PinionSensors

/// Energy as the meter has it at a scrape: per rail (with its covered time and gaps), and per
/// board, board idle and model from the ledger.
public struct EnergyMetricsSource: MetricsSource {
    public let meter: EnergyMeter

    public init(meter: EnergyMeter) { self.meter = meter }

    public func samples() async -> [MetricSample] {
        var samples: [MetricSample] = []
        for rail in meter.rails {
            let source = rail.source
            let labels = [source.bus, source.address.description, source.channel.map(String.init) ?? "", source.label ?? ""]
            samples += [
                MetricSample(.railEnergy, labels, rail.joules),
                MetricSample(.railMeasured, labels, rail.coveredSeconds),
                MetricSample(.railGaps, labels, Double(rail.gaps.count)),
            ]
        }
        let ledger = meter.ledger
        for (board, joules) in ledger.perBoard { samples.append(MetricSample(.boardEnergy, [board], joules)) }
        for (board, joules) in ledger.idlePerBoard { samples.append(MetricSample(.boardIdleEnergy, [board], joules)) }
        for (model, joules) in ledger.perModel { samples.append(MetricSample(.modelEnergy, [model], joules)) }
        return samples
    }
}
