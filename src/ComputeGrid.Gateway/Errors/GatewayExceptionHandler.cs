using ComputeGrid.Client;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace ComputeGrid.Gateway.Errors;

/// <summary>
/// The last line: whatever an endpoint did not answer itself becomes a ProblemDetails without a stack trace or an
/// internal name. The pool not answering is 503, not 500.
/// </summary>
internal sealed partial class GatewayExceptionHandler(ILogger<GatewayExceptionHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        if (httpContext.RequestAborted.IsCancellationRequested)
        {
            return true;
        }

        var problem = exception switch
        {
            ComputeGridNotFoundException => Problems.Create(StatusCodes.Status404NotFound, "Not found", "id", "no such resource"),
            ComputeGridValidationException v => Problems.Create(StatusCodes.Status400BadRequest, "Invalid request", v.Errors),
            BadHttpRequestException b when b.StatusCode == StatusCodes.Status413PayloadTooLarge =>
                Problems.Create(b.StatusCode, "Request body too large", "body", "is larger than the gateway accepts"),
            BadHttpRequestException b => Problems.Create(b.StatusCode, "Bad request", "request", "could not be read"),
            TimeoutException or OrleansException => Problems.Create(StatusCodes.Status503ServiceUnavailable, "Pool unavailable", "pool", "did not answer in time; retry later"),
            _ => null,
        };
        if (problem is null)
        {
            LogUnexpected(logger, exception, httpContext.Request.Method, httpContext.Request.Path);
            problem = Problems.Create(StatusCodes.Status500InternalServerError, "Internal error", "request", "failed unexpectedly; quote the trace id to the operators");
        }
        else
        {
            LogAnswered(logger, problem.Status ?? 0, httpContext.Request.Method, httpContext.Request.Path, exception.GetType().Name);
        }

        if (problem.Status == StatusCodes.Status503ServiceUnavailable)
        {
            httpContext.Response.Headers.RetryAfter = "5";
        }

        httpContext.Response.StatusCode = problem.Status ?? StatusCodes.Status500InternalServerError;
        await Problems.Write(httpContext, problem);
        return true;
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Unexpected failure on {Method} {Path}")]
    private static partial void LogUnexpected(ILogger logger, Exception exception, string method, string path);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Answered {Status} on {Method} {Path} after {Exception}")]
    private static partial void LogAnswered(ILogger logger, int status, string method, string path, string exception);
}
