using System.Diagnostics;
using ComputeGrid.Client.Connection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Orleans.Runtime.Messaging;
using Polly;
using Polly.Retry;
using Polly.Timeout;

namespace ComputeGrid.Client.Resilience;

/// <summary>
/// How the SDK makes one idempotent call: a Polly pipeline that retries transient faults with jittered exponential
/// back-off, inside the caller's cancellation and a deadline over all attempts. A call made while the connection is known
/// lost fails at once (and is retried like any transient fault), so nothing hangs for a response timeout; what is still
/// failing at the end is a <see cref="ComputeGridConnectionException"/> naming the gateways.
/// </summary>
internal sealed partial class CallPolicy
{
    /// <summary>One attempt, no deadline: the SDK over a cluster client it did not configure (a silo's own, a test's).</summary>
    public static CallPolicy Once { get; } = new(null, null, NullLogger.Instance);

    private readonly ResiliencePipeline? _pipeline;
    private readonly ClusterConnection? _connection;
    private readonly ILogger _logger;

    private CallPolicy(ResiliencePipeline? pipeline, ClusterConnection? connection, ILogger logger)
    {
        _pipeline = pipeline;
        _connection = connection;
        _logger = logger;
    }

    /// <summary>The policy <paramref name="retry"/> describes, on <paramref name="time"/>.</summary>
    public static CallPolicy Of(ComputeGridRetryOptions retry, ClusterConnection? connection, TimeProvider time, ILogger logger)
    {
        var builder = new ResiliencePipelineBuilder { TimeProvider = time };
        builder.AddTimeout(new TimeoutStrategyOptions { Timeout = retry.Deadline });
        if (retry.MaxAttempts > 1)
        {
            builder.AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = new PredicateBuilder().Handle<Exception>(IsTransient),
                MaxRetryAttempts = retry.MaxAttempts - 1,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = retry.BaseDelay,
                MaxDelay = retry.MaxDelay,
                OnRetry = args =>
                {
                    var fault = args.Outcome.Exception?.GetType().Name ?? "no answer";
                    LogRetrying(logger, args.AttemptNumber + 2, args.RetryDelay, fault);

                    return default;
                },
            });
        }

        return new CallPolicy(builder.Build(), connection, logger);
    }

    /// <summary>Runs <paramref name="call"/> under the policy; <paramref name="operation"/> names it in errors.</summary>
    public async Task<T> RunAsync<T>(string operation, Func<CancellationToken, Task<T>> call, CancellationToken cancellationToken)
    {
        if (_pipeline is null)
        {
            return await call(cancellationToken);
        }

        try
        {
            return await _pipeline.ExecuteAsync(
                async (state, token) =>
                {
                    if (state.Connection?.IsLost == true)
                    {
                        throw state.Connection.Unreachable(state.Operation, null);
                    }

                    return await state.Call(token);
                },
                (Call: call, Connection: _connection, Operation: operation),
                cancellationToken);
        }
        catch (TimeoutRejectedException e)
        {
            Activity.Current?.SetStatus(ActivityStatusCode.Error, "deadline");
            throw _connection?.Unreachable(operation, e) ?? new ComputeGridConnectionException($"No answer to {operation} within the SDK's deadline (ComputeGridClient:Retry:Deadline).", e);
        }
        catch (Exception e) when (IsTransient(e) && e is not ComputeGridConnectionException && _connection is not null)
        {
            LogGaveUp(_logger, operation, e.GetType().Name);
            throw _connection.Unreachable(operation, e);
        }
    }

    /// <summary>Runs <paramref name="call"/> under the policy.</summary>
    public Task RunAsync(string operation, Func<CancellationToken, Task> call, CancellationToken cancellationToken) =>
        RunAsync(operation, async token =>
        {
            await call(token);
            return true;
        }, cancellationToken);

    /// <summary>
    /// A fault that says nothing about the call itself: no gateway, a lost connection, a rejected message, a response
    /// that did not come in time. Whatever the cluster answered (invalid, not found, conflict) is final, and so is the
    /// caller's cancellation.
    /// </summary>
    public static bool IsTransient(Exception e) => e is SiloUnavailableException
        or ConnectionFailedException
        or GatewayTooBusyException
        or OrleansMessageRejectionException
        or TimeoutException
        or ComputeGridConnectionException;

    [LoggerMessage(Level = LogLevel.Information, Message = "ComputeGrid: attempt {Attempt} follows in {Delay} after a transient fault ({Fault})")]
    private static partial void LogRetrying(ILogger logger, int attempt, TimeSpan delay, string fault);

    [LoggerMessage(Level = LogLevel.Warning, Message = "ComputeGrid: {Operation} failed after its retries ({Fault})")]
    private static partial void LogGaveUp(ILogger logger, string operation, string fault);
}
