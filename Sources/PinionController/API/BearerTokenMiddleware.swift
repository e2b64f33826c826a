import Hummingbird

/// Lets through only requests that carry `Authorization: Bearer <token>`: the API on TCP, where
/// the socket's file permissions do not protect it.
struct BearerTokenMiddleware<Context: RequestContext>: RouterMiddleware {
    let token: [UInt8]

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let presented = request.headers[.authorization].map { Array($0.utf8) } ?? []
        let expected = Array("Bearer ".utf8) + token
        // Compare every byte whatever the first mismatch, so timing says nothing about the token.
        var difference = UInt8(presented.count == expected.count ? 0 : 1)
        for index in expected.indices { difference |= expected[index] ^ (index < presented.count ? presented[index] : 0) }
        guard difference == 0 else { throw HTTPError(.unauthorized, message: "missing or wrong API token (Authorization: Bearer ...)") }
        return try await next(request, context)
    }
}
