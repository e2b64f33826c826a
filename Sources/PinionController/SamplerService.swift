import PinionSensors
import PinionUSB
import ServiceLifecycle

/// One bus's sampler as a service of the controller's `ServiceGroup`: it samples from `run()`
/// until graceful shutdown or cancellation, then stops its thread (within about 100 ms).
public struct SamplerService: Service {
    public let sampler: BusSampler

    public init(_ sampler: BusSampler) { self.sampler = sampler }

    public func run() async throws {
        sampler.start()
        try? await gracefulShutdown()
        let sampler = sampler
        _ = try? await BlockingCall.run("stop \(sampler.busName) sampler") { sampler.stop() }
    }
}
