import Foundation
import Hummingbird
import NIOCore
import PinionScheduler

/// An error answer of the API: a status, one line saying what is wrong and, when one request
/// field is at fault, which. Every error the API gives is one of these, as a JSON body
/// (`APIErrorBody`).
public struct APIError: Error, Sendable, CustomStringConvertible {
    public var status: HTTPResponse.Status
    public var message: String
    public var field: String?
    /// Extra response headers (`WWW-Authenticate` on a 401).
    var headers: HTTPFields = [:]

    public init(_ status: HTTPResponse.Status, _ message: String, field: String? = nil) {
        self.status = status
        self.message = message
        self.field = field
    }

    public var description: String { "\(status.code) \(field.map { "\($0): " } ?? "")\(message)" }

    /// A request body that did not decode: 400 naming the field (`tasks[0].input[3]`).
    static func decoding(_ error: DecodingError) -> APIError {
        let (field, message) = DecodingProblem.describe(error)
        return APIError(.badRequest, message, field: field)
    }

    /// What `error`, thrown while answering `request`, is as an answer.
    static func answering(_ request: Request, _ error: any Error, maximumBodyBytes: Int) -> APIError {
        switch error {
        case let error as APIError:
            return error
        case is NIOTooManyBytesError:
            return APIError(.contentTooLarge, "the request body is larger than \(maximumBodyBytes) bytes; send fewer tasks per request")
        case let error as HTTPError where error.status == .notFound && error.body == nil:
            return APIError(.notFound, "no such path: \(request.method) \(request.uri.path)")
        case let error as HTTPError:
            var answer = APIError(error.status, error.body ?? error.status.reasonPhrase)
            answer.headers = error.headers
            return answer
        case let error as DecodingError:
            return decoding(error)
        default:
            if let storage = JournalStorageFailure(error) {
                return APIError(storage.isFull ? .init(code: 507, reasonPhrase: "Insufficient Storage") : .serviceUnavailable, storage.description)
            }
            return APIError(.internalServerError, "internal error: \(error)")
        }
    }

    /// The response: the JSON body and the headers.
    func response() -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let body = (try? encoder.encode(APIErrorBody(error: message, field: field))) ?? Data(#"{"error":"internal error"}"#.utf8)
        var fields = headers
        fields[.contentType] = "application/json; charset=utf-8"
        return Response(status: status, headers: fields, body: ResponseBody(byteBuffer: ByteBuffer(bytes: body)))
    }
}

/// Turns every error thrown below it (routes, the token check, the router's 404) into the API's
/// JSON error answer; nothing leaves the API as an empty body.
struct APIErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    let maximumBodyBytes: Int

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch {
            return APIError.answering(request, error, maximumBodyBytes: maximumBodyBytes).response()
        }
    }
}

/// A `DecodingError` as a field path (`tasks[0].input[3]`) and one line.
enum DecodingProblem {
    static func describe(_ error: DecodingError) -> (field: String?, message: String) {
        switch error {
        case .keyNotFound(let key, let context):
            return (path(context.codingPath + [key]), "is missing")
        case .valueNotFound(let type, let context):
            return (path(context.codingPath), "is null; expected \(expected(type))")
        case .typeMismatch(let type, let context):
            return (path(context.codingPath), "expected \(expected(type))")
        case .dataCorrupted(let context) where context.codingPath.isEmpty:
            return (nil, "the body is not valid JSON (\(context.debugDescription))")
        case .dataCorrupted(let context):
            return (path(context.codingPath), context.debugDescription)
        @unknown default:
            return (nil, "\(error)")
        }
    }

    /// `tasks[0].input[3]` for the coding path tasks, 0, input, 3.
    static func path(_ keys: [any CodingKey]) -> String {
        keys.reduce("") { text, key in
            if let index = key.intValue { return text + "[\(index)]" }
            return text.isEmpty ? key.stringValue : text + "." + key.stringValue
        }
    }

    private static func expected(_ type: Any.Type) -> String {
        switch type {
        case is Int.Type: "an integer"
        case is Double.Type: "a number"
        case is String.Type: "a string"
        default: "\(type)".lowercased().contains("array") ? "an array" : "an object"
        }
    }
}
