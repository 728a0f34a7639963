using System.Text.Json;
using ComputeGrid.Gateway.Errors;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace ComputeGrid.Gateway.Tests;

public sealed class ExceptionHandlerTests
{
    [Fact]
    public async Task An_unexpected_failure_answers_500_without_its_message_stack_trace_or_internal_names()
    {
        var (status, headers, body) = await HandleAsync(new InvalidOperationException("ComputeGrid.Grains.Jobs.JobGrain exploded in System.Linq"));

        Assert.Equal(500, status);
        Assert.False(headers.ContainsKey("Retry-After"));
        Assert.DoesNotContain("exploded", body, StringComparison.Ordinal);
        Assert.DoesNotContain("ComputeGrid.", body, StringComparison.Ordinal);
        Assert.DoesNotContain("InvalidOperationException", body, StringComparison.Ordinal);
        Assert.Equal("request", JsonDocument.Parse(body).RootElement.GetProperty("field").GetString());
    }

    [Fact]
    public async Task A_pool_that_does_not_answer_in_time_is_503_with_retry_after()
    {
        var (status, headers, body) = await HandleAsync(new TimeoutException("Response did not arrive on time in 00:00:30 for message: Request S127.0.0.1:11111 JobGrain"));

        Assert.Equal(503, status);
        Assert.Equal("5", headers["Retry-After"].ToString());
        Assert.DoesNotContain("JobGrain", body, StringComparison.Ordinal);
        Assert.Equal("pool", JsonDocument.Parse(body).RootElement.GetProperty("field").GetString());
    }

    private static async Task<(int Status, IHeaderDictionary Headers, string Body)> HandleAsync(Exception exception)
    {
        await using var services = new ServiceCollection().AddLogging().AddProblemDetails().BuildServiceProvider();
        var context = new DefaultHttpContext { RequestServices = services };
        context.Response.Body = new MemoryStream();

        Assert.True(await new GatewayExceptionHandler(NullLogger<GatewayExceptionHandler>.Instance).TryHandleAsync(context, exception, CancellationToken.None));

        context.Response.Body.Position = 0;
        return (context.Response.StatusCode, context.Response.Headers, await new StreamReader(context.Response.Body).ReadToEndAsync());
    }
}
