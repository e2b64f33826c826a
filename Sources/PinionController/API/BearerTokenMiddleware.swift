import Hummingbird

/// Lets through only requests that carry `Authorization: Bearer <token>` (the scheme in any
/// case, as RFC 9110 has it): the API on TCP, where the socket's file permissions do not
/// protect it. Others get a 401 JSON error with `WWW-Authenticate: Bearer`.
struct BearerTokenMiddleware<Context: RequestContext>: RouterMiddleware {
    let token: [UInt8]

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let presented = request.headers[.authorization].flatMap(Self.credentials), Self.matches(presented, token) else {
            var refusal = APIError(.unauthorized, "missing or wrong API token (Authorization: Bearer ...)", field: "Authorization")
            refusal.headers = [.wwwAuthenticate: "Bearer"]
            throw refusal
        }
        return try await next(request, context)
    }

    /// The credentials of a `Bearer` authorization (scheme case-insensitive), or nil for another scheme.
    static func credentials(_ header: String) -> [UInt8]? {
        let bytes = Array(header.utf8)
        guard let space = bytes.firstIndex(of: 0x20) else { return nil }
        guard String(decoding: bytes[..<space], as: UTF8.self).lowercased() == "bearer" else { return nil }
        return Array(bytes[space...].drop { $0 == 0x20 }.reversed().drop { $0 == 0x20 }.reversed())
    }

    /// Compares every byte whatever the first mismatch, so timing says nothing about the token.
    static func matches(_ presented: [UInt8], _ expected: [UInt8]) -> Bool {
        var difference = UInt8(presented.count == expected.count ? 0 : 1)
        for index in expected.indices { difference |= expected[index] ^ (index < presented.count ? presented[index] : 0) }
        return difference == 0
    }
}
