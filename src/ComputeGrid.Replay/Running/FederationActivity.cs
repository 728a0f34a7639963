using System.Collections.Concurrent;
using System.Diagnostics;
using ComputeGrid.Contracts;
using Orleans.Providers;

namespace ComputeGrid.Replay.Running;

/// <summary>
/// The replay silo's idle signal: every grain call in flight (sent and not answered, or executing) and every loan message
/// put on a stream queue and not yet delivered to its hub. When both are zero and stay zero for a short quiet time
/// (which covers a grain timer due at once, such as a region's coalesced queue pass), nothing in the federation can move
/// until the virtual clock does. It also counts calls by interface and method, the replay's round trips per job.
/// </summary>
/// <remarks>
/// Registered as both an incoming and an outgoing call filter of the replay's own silo only; the production silo does not
/// have it. A call from the SDK (the silo's own cluster client) is counted from its send to its answer, a one-way call
/// while it executes, and a stream message from its enqueue at the memory queue to its delivery at the consumer.
/// </remarks>
public sealed class FederationActivity : IIncomingGrainCallFilter, IOutgoingGrainCallFilter
{
    private readonly ConcurrentDictionary<string, long> _calls = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();
    private int _inFlight;
    private long _streamPending;
    private long _lastActivity = Stopwatch.GetTimestamp();
    private long _lastCapacityNotice;
    private TaskCompletionSource _idle = Completed();

    /// <summary>Grain calls sent and not answered, or executing.</summary>
    public int InFlight => Volatile.Read(ref _inFlight);

    /// <summary>Loan messages enqueued on the memory streams and not yet delivered.</summary>
    public long StreamPending => Interlocked.Read(ref _streamPending);

    /// <summary>Calls so far by <c>Interface.Method</c> (incoming only, so each call counts once).</summary>
    public IReadOnlyDictionary<string, long> Calls => _calls;

    /// <summary>Incoming grain calls so far.</summary>
    public long TotalCalls => _calls.Values.Sum();

    /// <summary>True while no call is in flight and no stream message waits.</summary>
    public bool IsIdle => InFlight == 0 && StreamPending <= 0;

    /// <summary>Wall time since a call last started or ended.</summary>
    public TimeSpan SinceActivity => Stopwatch.GetElapsedTime(Interlocked.Read(ref _lastActivity));

    /// <summary>
    /// Wall time since a region was last told that capacity freed; null when none was. A region coalesces such notices
    /// for a moment (a grain timer, no call in flight) before its queue pass.
    /// </summary>
    public TimeSpan? SinceCapacityNotice => Interlocked.Read(ref _lastCapacityNotice) is var at and not 0 ? Stopwatch.GetElapsedTime(at) : null;

    /// <inheritdoc />
    public async Task Invoke(IIncomingGrainCallContext context)
    {
        var name = $"{context.InterfaceName}.{context.MethodName}";
        _calls.AddOrUpdate(name, 1, (_, n) => n + 1);
        if (context.MethodName == "OnCapacityFreedAsync")
        {
            Interlocked.Exchange(ref _lastCapacityNotice, Stopwatch.GetTimestamp());
        }

        if (IsBackground(context.InterfaceName, context.MethodName))
        {
            await context.Invoke();
            return;
        }

        Enter();
        try
        {
            await context.Invoke();
        }
        finally
        {
            if (IsStreamDelivery(context.InterfaceName, context.MethodName) && IsLoanMessage(context.Request))
            {
                Interlocked.Decrement(ref _streamPending);
            }

            Leave();
        }
    }

    /// <inheritdoc />
    public async Task Invoke(IOutgoingGrainCallContext context)
    {
        if (IsBackground(context.InterfaceName, context.MethodName))
        {
            await context.Invoke();
            return;
        }

        Enter();
        try
        {
            await context.Invoke();
            if (IsStreamEnqueue(context.InterfaceName, context.MethodName) && IsLoanMessage(context.Request))
            {
                Interlocked.Increment(ref _streamPending);
            }
        }
        finally
        {
            Leave();
        }
    }

    /// <summary>Completes when no call is in flight (at once when none is); it may be in flight again by the time the caller runs.</summary>
    public Task NoCallsAsync()
    {
        lock (_lock)
        {
            return _idle.Task;
        }
    }

    /// <summary>
    /// Completes once the federation has been idle (<see cref="IsIdle"/>) for <paramref name="quiet"/> in a row, or at
    /// <paramref name="deadline"/> (wall time from now) whatever it does; true when it became idle.
    /// </summary>
    public async Task<bool> WaitIdleAsync(TimeSpan quiet, TimeSpan deadline, CancellationToken cancellationToken)
    {
        var watch = Stopwatch.StartNew();
        while (true)
        {
            Task idle;
            lock (_lock)
            {
                idle = _idle.Task;
            }

            var left = deadline - watch.Elapsed;
            if (left <= TimeSpan.Zero)
            {
                return false;
            }

            if (!idle.IsCompleted)
            {
                await Task.WhenAny(idle, Task.Delay(left, cancellationToken));
                continue;
            }

            if (!IsIdle)
            {
                // Stream messages wait at the queue with no call in flight: the pulling agent's next poll delivers them.
                await Task.Delay(1, cancellationToken);
                continue;
            }

            var since = SinceActivity;
            if (since >= quiet)
            {
                return true;
            }

            await Task.Delay(quiet - since, cancellationToken);
        }
    }

    private void Enter()
    {
        Interlocked.Exchange(ref _lastActivity, Stopwatch.GetTimestamp());
        if (Interlocked.Increment(ref _inFlight) == 1)
        {
            lock (_lock)
            {
                if (_idle.Task.IsCompleted)
                {
                    _idle = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                }
            }
        }
    }

    private void Leave()
    {
        Interlocked.Exchange(ref _lastActivity, Stopwatch.GetTimestamp());
        if (Interlocked.Decrement(ref _inFlight) == 0)
        {
            lock (_lock)
            {
                if (Volatile.Read(ref _inFlight) == 0)
                {
                    _idle.TrySetResult();
                }
            }
        }
    }

    /// <summary>
    /// Calls that go on whether or not anything happens: grain timer ticks (a timer that finds work makes calls, which
    /// count) and the stream pulling agents' polls of their queues (a message found is counted from its enqueue).
    /// </summary>
    private static bool IsBackground(string interfaceName, string methodName) =>
        interfaceName.Contains("GrainTimerInvoker", StringComparison.Ordinal)
        || (methodName is "Dequeue" or "GetQueueMessagesAsync" && interfaceName.Contains("MemoryStreamQueueGrain", StringComparison.Ordinal));

    /// <summary>
    /// True when a queue call or a delivery carries a region inbox's message (loans): job event streams have no consumer
    /// here, so their messages are enqueued and never delivered.
    /// </summary>
    private static bool IsLoanMessage(Orleans.Serialization.Invocation.IInvokable request)
    {
        for (var i = 0; i < request.GetArgumentCount(); i++)
        {
            var stream = request.GetArgument(i) switch
            {
                StreamId id => id,
                MemoryMessageData data => data.StreamId,
                _ => (StreamId?)null,
            };
            if (stream is { } s)
            {
                return s.GetNamespace() == GridStreams.RegionInboxNamespace;
            }
        }

        return false;
    }

    private static bool IsStreamEnqueue(string interfaceName, string methodName) =>
        methodName == "Enqueue" && interfaceName.Contains("MemoryStreamQueueGrain", StringComparison.Ordinal);

    private static bool IsStreamDelivery(string interfaceName, string methodName) =>
        interfaceName.Contains("StreamConsumerExtension", StringComparison.Ordinal) && methodName.StartsWith("Deliver", StringComparison.Ordinal);

    private static TaskCompletionSource Completed()
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        done.SetResult();
        return done;
    }
}
