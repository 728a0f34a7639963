using System.Collections.Concurrent;
using ComputeGrid.Contracts;
using ComputeGrid.Grains.Execution;
using Microsoft.Extensions.Logging;

namespace ComputeGrid.Replay.Running;

/// <summary>
/// Runs each job for its declared run time on the replay's virtual clock, like the simulated executor, and also tells
/// the driver what it needs to keep virtual time exact: when the next job ends, and whether reports are still in flight
/// (the clock must not move while a job's start or end is on its way to the grain, or its measured run time would be off).
/// </summary>
public sealed partial class ReplayExecutor(IGrainFactory grains, TimeProvider time, ILogger<ReplayExecutor> logger) : IJobExecutor
{
    private readonly ConcurrentDictionary<string, ITimer> _running = new(StringComparer.Ordinal);
    private readonly SortedSet<(DateTimeOffset Due, string JobId)> _ends = [];
    private readonly Lock _endsLock = new();
    private int _inFlight;
    private long _started;
    private long _finished;

    /// <summary>Reports (running, finished) sent to job grains and not yet answered.</summary>
    public int InFlight => Volatile.Read(ref _inFlight);

    /// <summary>Job starts so far; a job preempted and started again counts once per start.</summary>
    public long Started => Interlocked.Read(ref _started);

    /// <summary>How many jobs ran to their end so far.</summary>
    public long Finished => Interlocked.Read(ref _finished);

    /// <summary>When the next running job ends on the virtual clock; null when none runs.</summary>
    public DateTimeOffset? NextEnd
    {
        get
        {
            lock (_endsLock)
            {
                return _ends.Count == 0 ? null : _ends.Min.Due;
            }
        }
    }

    /// <inheritdoc />
    public void Start(string dataCenterId, string jobId, TimeSpan runTime)
    {
        var due = time.GetUtcNow() + runTime;
        Interlocked.Increment(ref _inFlight);
        var timer = time.CreateTimer(_ => Finish(dataCenterId, jobId, due), null, runTime, Timeout.InfiniteTimeSpan);
        if (!_running.TryAdd(jobId, timer))
        {
            timer.Dispose();
            Interlocked.Decrement(ref _inFlight);
            return;
        }

        Interlocked.Increment(ref _started);
        lock (_endsLock)
        {
            _ends.Add((due, jobId));
        }

        _ = ReportAsync(jobId, ct => grains.GetGrain<IJobGrain>(jobId).ReportRunningAsync(dataCenterId, ct));
    }

    /// <inheritdoc />
    public void Stop(string jobId)
    {
        if (_running.TryRemove(jobId, out var timer))
        {
            timer.Dispose();
            lock (_endsLock)
            {
                _ends.RemoveWhere(e => e.JobId == jobId);
            }
        }
    }

    private void Finish(string dataCenterId, string jobId, DateTimeOffset due)
    {
        if (!_running.TryRemove(jobId, out var timer))
        {
            return;
        }

        timer.Dispose();
        lock (_endsLock)
        {
            _ends.Remove((due, jobId));
        }

        Interlocked.Increment(ref _finished);
        Interlocked.Increment(ref _inFlight);
        _ = ReportAsync(jobId, ct => grains.GetGrain<IJobGrain>(jobId).ReportFinishedAsync(dataCenterId, true, "ran for its trace run time", cancellationToken: ct));
    }

    private async Task ReportAsync(string jobId, Func<CancellationToken, Task> report)
    {
        try
        {
            for (var attempt = 1; ; attempt++)
            {
                try
                {
                    await report(CancellationToken.None);
                    return;
                }
                catch (Exception e) when (attempt < 3)
                {
                    LogReportRetry(logger, jobId, attempt, e);
                }
                catch (Exception e)
                {
                    LogReportFailed(logger, jobId, e);
                    return;
                }
            }
        }
        finally
        {
            Interlocked.Decrement(ref _inFlight);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Report for job {JobId} failed (attempt {Attempt}); retrying")]
    private static partial void LogReportRetry(ILogger logger, string jobId, int attempt, Exception exception);

    [LoggerMessage(Level = LogLevel.Error, Message = "Gave up reporting job {JobId}; the replay counts it as not completed")]
    private static partial void LogReportFailed(ILogger logger, string jobId, Exception exception);
}
