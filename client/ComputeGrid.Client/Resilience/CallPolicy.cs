using System.Collections.Concurrent;
using System.Diagnostics;
using ComputeGrid.Client.Connection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Orleans.Runtime.Messaging;
using Polly;
using Polly.Hedging;
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
    /// <summary>The most hedged attempts one client has in flight at once.</summary>
    internal const int MaxHedgesInFlight = 8;

    /// <summary>One attempt, no deadline: the SDK over a cluster client it did not configure (a silo's own, a test's).</summary>
    public static CallPolicy Once { get; } = new(null, null, NullLogger.Instance, Timeout.InfiniteTimeSpan, TimeProvider.System);

    private readonly ResiliencePipeline? _pipeline;
    private readonly ClusterConnection? _connection;
    private readonly ILogger _logger;
    private readonly TimeSpan _hedgeAfter;
    private readonly TimeProvider _time;
    private readonly ConcurrentDictionary<Type, object> _hedging = new();
    private int _hedgesInFlight;

    private CallPolicy(ResiliencePipeline? pipeline, ClusterConnection? connection, ILogger logger, TimeSpan hedgeAfter, TimeProvider time)
    {
        _pipeline = pipeline;
        _connection = connection;
        _logger = logger;
        _hedgeAfter = hedgeAfter;
        _time = time;
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

        return new CallPolicy(builder.Build(), connection, logger, retry.AttemptTimeout < retry.Deadline ? retry.AttemptTimeout : retry.Deadline, time);
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

                    return await state.Hedging.ExecuteAsync(static (call, token) => new ValueTask<T>(call(token)), state.Call, token);
                },
                (Call: call, Connection: _connection, Operation: operation, Hedging: Hedging<T>()),
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

    /// <summary>
    /// One attempt, hedged: a fault of the path (a lost gateway, a silo that died under the call) sends a second attempt at
    /// once, and so does an attempt still unanswered after <see cref="ComputeGridRetryOptions.AttemptTimeout"/>; whichever
    /// answers first wins and the other is cancelled. A call held by a silo that crashed is thus overtaken by one that
    /// reaches the grain's new activation, while a slow but healthy call is not abandoned (both are the same idempotent
    /// call). What both attempts fail with goes to the retry around it, which backs off. Hedges are budgeted
    /// (<see cref="MaxHedgesInFlight"/>), so an overloaded cluster is not sent every slow call twice.
    /// </summary>
    private ResiliencePipeline<T> Hedging<T>() => (ResiliencePipeline<T>)_hedging.GetOrAdd(typeof(T), _ => new ResiliencePipelineBuilder<T> { TimeProvider = _time }
        .AddHedging(new HedgingStrategyOptions<T>
        {
            MaxHedgedAttempts = 1,
            Delay = _hedgeAfter,
            ShouldHandle = new PredicateBuilder<T>().Handle<Exception>(IsFailover),

            // A budget: at most MaxHedgesInFlight hedged attempts at once. An overloaded cluster answers everything slowly,
            // and hedging every slow call would double its load; past the budget a call just waits for its own answer.
            ActionGenerator = args =>
            {
                if (Interlocked.Increment(ref _hedgesInFlight) > MaxHedgesInFlight)
                {
                    Interlocked.Decrement(ref _hedgesInFlight);
                    LogHedgeBudget(_logger, MaxHedgesInFlight);
                    return null;
                }

                return async () =>
                {
                    try
                    {
                        return await args.Callback(args.ActionContext);
                    }
                    finally
                    {
                        Interlocked.Decrement(ref _hedgesInFlight);
                    }
                };
            },
            OnHedging = args =>
            {
                LogHedging(_logger, args.AttemptNumber + 1);
                return default;
            },
        })
        .Build());

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
    public static bool IsTransient(Exception e) => IsFailover(e) || e is GatewayTooBusyException
        or TimeoutException

        // A second activation of a grain, briefly possible while a silo drains or dies, fails its write on the stored
        // ETag and deactivates: the call reaches the surviving activation when it is made again.
        or Orleans.Storage.InconsistentStateException
        or ComputeGridConnectionException;

    /// <summary>A fault of the path to the grain, not of the grain: a gateway or silo that is gone, or a message it could not deliver.</summary>
    public static bool IsFailover(Exception? e) => e is SiloUnavailableException
        or ConnectionFailedException
        or OrleansMessageRejectionException;

    [LoggerMessage(Level = LogLevel.Information, Message = "ComputeGrid: attempt {Attempt} follows in {Delay} after a transient fault ({Fault})")]
    private static partial void LogRetrying(ILogger logger, int attempt, TimeSpan delay, string fault);

    [LoggerMessage(Level = LogLevel.Information, Message = "ComputeGrid: hedged attempt {Attempt} sent (a fault of the path, or no answer in ComputeGridClient:Retry:AttemptTimeout)")]
    private static partial void LogHedging(ILogger logger, int attempt);

    [LoggerMessage(Level = LogLevel.Debug, Message = "ComputeGrid: no hedged attempt: {Budget} are in flight already (the cluster is slow, not failing over)")]
    private static partial void LogHedgeBudget(ILogger logger, int budget);

    [LoggerMessage(Level = LogLevel.Warning, Message = "ComputeGrid: {Operation} failed after its retries ({Fault})")]
    private static partial void LogGaveUp(ILogger logger, string operation, string fault);
}
