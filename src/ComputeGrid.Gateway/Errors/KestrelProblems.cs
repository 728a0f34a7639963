using System.Buffers;
using System.Globalization;
using System.IO.Pipelines;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Http;

namespace ComputeGrid.Gateway.Errors;

/// <summary>
/// Kestrel answers some requests itself, before any middleware runs and with an empty body: a request line or URL too
/// long (414), a path with <c>%00</c> or a raw CR/LF, a bad <c>Content-Length</c> or another malformed request line or
/// header (400), headers too large (431). Kestrel offers no hook for these, so this connection middleware watches what
/// Kestrel writes: a response that starts a flush with a 4xx or 5xx status line, <c>Content-Length: 0</c> and
/// <c>Connection: close</c> is one of Kestrel's own (every problem the gateway writes has a body), and it is replaced by
/// the same response with an <c>application/problem+json</c> body.
/// </summary>
internal static class KestrelProblems
{
    private static readonly byte[] StatusLinePrefix = "HTTP/1.1 "u8.ToArray();
    private static readonly byte[] HeaderEnd = "\r\n\r\n"u8.ToArray();

    /// <summary>Wraps each connection's output so that Kestrel's empty error responses carry a problem.</summary>
    public static ConnectionDelegate Use(ConnectionDelegate next) => async connection =>
    {
        var transport = connection.Transport;
        var output = new RewritingWriter(transport.Output);
        connection.Transport = new Duplex(transport.Input, output);
        try
        {
            await next(connection);
        }
        finally
        {
            connection.Transport = transport;
        }
    };

    /// <summary>The replacement for one of Kestrel's own error responses, or null when <paramref name="written"/> is not one.</summary>
    internal static byte[]? Rewrite(ReadOnlySpan<byte> written)
    {
        if (!written.StartsWith(StatusLinePrefix) || written.Length < StatusLinePrefix.Length + 3)
        {
            return null;
        }

        var end = written.IndexOf(HeaderEnd);
        if (end < 0 || end + HeaderEnd.Length != written.Length)
        {
            return null;
        }

        var head = Encoding.ASCII.GetString(written[..end]);
        var lines = head.Split("\r\n");
        if (!int.TryParse(lines[0].AsSpan(StatusLinePrefix.Length, 3), NumberStyles.None, CultureInfo.InvariantCulture, out var status) || status < 400
            || !lines.Contains("Content-Length: 0", StringComparer.OrdinalIgnoreCase)
            || !lines.Contains("Connection: close", StringComparer.OrdinalIgnoreCase))
        {
            return null;
        }

        var (field, reason) = status switch
        {
            StatusCodes.Status414UriTooLong => ("path", "makes the request line longer than the gateway accepts (8 KiB)"),
            StatusCodes.Status431RequestHeaderFieldsTooLarge => ("headers", "are larger than the gateway accepts (32 KiB)"),
            StatusCodes.Status411LengthRequired => ("Content-Length", "is required for a body"),
            StatusCodes.Status413PayloadTooLarge => ("body", "is larger than the gateway accepts"),
            StatusCodes.Status408RequestTimeout => ("request", "did not arrive in time"),
            StatusCodes.Status505HttpVersionNotsupported => ("request", "must be HTTP/1.1"),
            _ => ("request", "is not valid HTTP/1.1: a malformed request line, path (%00, CR or LF) or header (Content-Length, Transfer-Encoding, Host)"),
        };
        var problem = Problems.Create(status, field, reason);
        var body = JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, object?>
        {
            ["type"] = problem.Type,
            ["title"] = problem.Title,
            ["status"] = problem.Status,
            ["detail"] = problem.Detail,
            ["field"] = field,
            ["reason"] = reason,
            ["errors"] = new[] { new Dictionary<string, string> { ["field"] = field, ["reason"] = reason } },
        });
        var kept = lines.Where(l => !l.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase) && !l.StartsWith("Content-Type:", StringComparison.OrdinalIgnoreCase));
        var rewritten = string.Join("\r\n", kept)
            + string.Create(CultureInfo.InvariantCulture, $"\r\nContent-Type: {Problems.ContentType}\r\nContent-Length: {body.Length}\r\n\r\n");
        return [.. Encoding.ASCII.GetBytes(rewritten), .. body];
    }

    private sealed class Duplex(PipeReader input, PipeWriter output) : IDuplexPipe
    {
        public PipeReader Input { get; } = input;

        public PipeWriter Output { get; } = output;
    }

    /// <summary>Collects each flush's bytes, rewrites them when they are one of Kestrel's own error responses, and passes them on.</summary>
    private sealed class RewritingWriter(PipeWriter inner) : PipeWriter
    {
        private readonly ArrayBufferWriter<byte> _pending = new(4096);

        public override bool CanGetUnflushedBytes => true;

        public override long UnflushedBytes => _pending.WrittenCount;

        public override void Advance(int bytes) => _pending.Advance(bytes);

        public override Memory<byte> GetMemory(int sizeHint = 0) => _pending.GetMemory(sizeHint);

        public override Span<byte> GetSpan(int sizeHint = 0) => _pending.GetSpan(sizeHint);

        public override void CancelPendingFlush() => inner.CancelPendingFlush();

        public override void Complete(Exception? exception = null)
        {
            Forward();
            inner.Complete(exception);
        }

        public override async ValueTask CompleteAsync(Exception? exception = null)
        {
            Forward();
            await inner.CompleteAsync(exception);
        }

        public override ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken = default)
        {
            Forward();
            return inner.FlushAsync(cancellationToken);
        }

        private void Forward()
        {
            if (_pending.WrittenCount == 0)
            {
                return;
            }

            var written = _pending.WrittenSpan;
            if (Rewrite(written) is { } problem)
            {
                inner.Write(problem);
            }
            else
            {
                inner.Write(written);
            }

            _pending.ResetWrittenCount();
        }
    }
}
