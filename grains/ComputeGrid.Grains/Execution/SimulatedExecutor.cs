using System.Collections.Concurrent;
using ComputeGrid.Contracts;
using ComputeGrid.Grains.Hosting;
using Microsoft.Extensions.Logging;

namespace ComputeGrid.Grains.Execution;

/// <summary>
/// The default executor: a job "runs" for its declared run time on the federation's clock, then succeeds. With a fake
/// clock, tests and replays decide how fast time passes.
/// </summary>
internal sealed partial class SimulatedExecutor(IGrainFactory grains, GridClock clock, ILogger<SimulatedExecutor> logger) : IJobExecutor, IDisposable
{
    private static readonly TimeSpan[] ReportBackoff = [TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(5)];
    private readonly ConcurrentDictionary<string, Execution> _running = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _disposed = new();

    public void Start(string dataCenterId, string jobId, TimeSpan runTime)
    {
        var execution = new Execution(dataCenterId);
        if (!_running.TryAdd(jobId, execution))
        {
            return;
        }

        _ = Task.Run(() => RunAsync(jobId, execution, runTime));
    }

    public void Stop(string jobId)
    {
        if (_running.TryRemove(jobId, out var execution))
        {
            execution.Dispose();
        }
    }

    public void Dispose()
    {
        _disposed.Cancel();
        foreach (var execution in _running.Values)
        {
            execution.Dispose();
        }

        _running.Clear();
    }

    private async Task RunAsync(string jobId, Execution execution, TimeSpan runTime)
    {
        // The clock starts before the job is reported Running, so whoever sees Running and then advances the clock
        // always finds the job's timer in place.
        lock (execution)
        {
            if (execution.Stopped)
            {
                return;
            }

            execution.Timer = clock.Time.CreateTimer(_ => _ = FinishAsync(jobId, execution), null, runTime, Timeout.InfiniteTimeSpan);
        }

        var job = grains.GetGrain<IJobGrain>(jobId);
        await ReportAsync(jobId, execution, ct => job.ReportRunningAsync(execution.DataCenterId, ct));
    }

    private async Task FinishAsync(string jobId, Execution execution)
    {
        if (!_running.TryRemove(new KeyValuePair<string, Execution>(jobId, execution)))
        {
            return;
        }

        execution.Dispose();
        var job = grains.GetGrain<IJobGrain>(jobId);
        await ReportAsync(jobId, execution, ct => job.ReportFinishedAsync(execution.DataCenterId, true, "ran for its declared run time", cancellationToken: ct), ignoreStop: true);
    }

    /// <summary>
    /// Reports until the job grain takes it: reports are idempotent, and a report given up would leave the job in its last
    /// state for good (a busy or moving job grain can miss several call timeouts in a row on a loaded cluster). Stops
    /// when the execution was stopped (unless <paramref name="ignoreStop"/>) or the silo shuts the executor down.
    /// </summary>
    private async Task<bool> ReportAsync(string jobId, Execution execution, Func<CancellationToken, Task> report, bool ignoreStop = false)
    {
        for (var attempt = 0; ; attempt++)
        {
            if ((execution.Stopped && !ignoreStop) || _disposed.IsCancellationRequested)
            {
                return false;
            }

            try
            {
                await report(CancellationToken.None);
                return true;
            }
            catch (Exception e)
            {
                LogReportRetry(logger, jobId, attempt + 1, e);
                try
                {
                    await Task.Delay(ReportBackoff[Math.Min(attempt, ReportBackoff.Length - 1)], _disposed.Token);
                }
                catch (OperationCanceledException)
                {
                    LogReportFailed(logger, jobId, e);
                    return false;
                }
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Executor report for job {JobId} failed (attempt {Attempt}); retrying")]
    private static partial void LogReportRetry(ILogger logger, string jobId, int attempt, Exception exception);

    [LoggerMessage(Level = LogLevel.Error, Message = "Executor stopped before it could report job {JobId}; it stays in its last state until reconciliation (issue #4) drives it on")]
    private static partial void LogReportFailed(ILogger logger, string jobId, Exception exception);

    private sealed class Execution(string dataCenterId) : IDisposable
    {
        public string DataCenterId { get; } = dataCenterId;

        public ITimer? Timer { get; set; }

        public bool Stopped { get; private set; }

        public void Dispose()
        {
            lock (this)
            {
                Stopped = true;
                Timer?.Dispose();
            }
        }
    }
}
