using System.Buffers;
using Microsoft.AspNetCore.Http;
using Microsoft.Net.Http.Headers;

namespace ComputeGrid.Gateway.Errors;

/// <summary>
/// Refuses a request whose path, once percent-decoded, holds a control character (U+0000-U+001F or U+007F). Kestrel
/// refuses <c>%00</c> and a raw LF itself but lets a raw CR, <c>%0D</c> and the other control characters through, and
/// no id, name or route of the gateway contains one. Runs before authentication, as Kestrel's own 400s do, and closes
/// the connection as they do.
/// </summary>
internal static class RequestPaths
{
    /// <summary>The reason written in the problem's <c>path</c> field.</summary>
    public const string ControlCharacterReason = "must not contain a control character (U+0000-U+001F or U+007F, such as CR or LF), raw or percent-encoded";

    private static readonly SearchValues<char> ControlCharacters =
        SearchValues.Create([.. Enumerable.Range(0, 0x20).Select(c => (char)c), '\u007f']);

    /// <summary>The middleware: a 400 problem naming <c>path</c>, or the next middleware.</summary>
    public static Task RefuseControlCharactersAsync(HttpContext context, RequestDelegate next)
    {
        if (!HasControlCharacter(context.Request.PathBase.Value) && !HasControlCharacter(context.Request.Path.Value))
        {
            return next(context);
        }

        context.Response.StatusCode = StatusCodes.Status400BadRequest;
        context.Response.Headers[HeaderNames.Connection] = "close";
        return Problems.Write(context, Problems.Create(StatusCodes.Status400BadRequest, "path", ControlCharacterReason));
    }

    private static bool HasControlCharacter(string? path) => path is not null && path.AsSpan().ContainsAny(ControlCharacters);
}
