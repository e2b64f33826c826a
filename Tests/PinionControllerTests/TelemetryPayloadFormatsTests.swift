import Foundation
import PinionController
import PinionUpstream
import Testing

@Suite("Telemetry payload format registry")
struct TelemetryPayloadFormatsTests {
    @Test func everyFormatIsFoundByItsNameAndListedInErrors() throws {
        #expect(TelemetryPayloadFormats.names == ["sparkplug", "json", "off"])
        #expect(TelemetryPayloadFormats.namesInProse == "sparkplug, json or off")
        for name in TelemetryPayloadFormats.names {
            #expect(try #require(TelemetryPayloadFormats.named(name)).name == name)
        }
        #expect(TelemetryPayloadFormats.named("xml") == nil)
        #expect(TelemetryPayloadFormat.sparkplug.ownConnection?.lane == SparkplugTopic.namespace + "/")
        #expect(TelemetryPayloadFormat.json.ownConnection == nil && TelemetryPayloadFormat.off.ownConnection == nil)
    }

    @Test func jsonSendsABoardsArrivalAndDepartureThroughTheOutboxAsItsStateMessage() {
        let json = JSONTelemetryFormat(topicPrefix: "pinion", gateway: "abc")
        let metrics = [TelemetryMetric("board/tasks", .int(3))]
        guard case .enqueue(let arrived) = json.boardChange("S1", metrics: metrics, timestampMilliseconds: 5),
              case .enqueue(let left) = json.boardChange("S1", metrics: nil, timestampMilliseconds: 6) else {
            Issue.record("JSON board changes go through the outbox")
            return
        }
        #expect(arrived == [json.boardState("S1", attached: true, metrics: metrics, timestampMilliseconds: 5)])
        #expect(left == [json.boardState("S1", attached: false, metrics: [], timestampMilliseconds: 6)])
    }
}
