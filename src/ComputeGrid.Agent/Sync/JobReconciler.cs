using ComputeGrid.Agent.Configuration;
using ComputeGrid.Agent.Running;
using ComputeGrid.Agent.State;
using ComputeGrid.Contracts.Agents;
using Microsoft.Extensions.Logging;

namespace ComputeGrid.Agent.Sync;

/// <summary>
/// The agent's side of the full-state reconciliation: which jobs run here, which reports the data center has not
/// acknowledged, and what a response asks for (start, kill, forget reports). Every change is saved to the state file
/// before it is visible to the next sync, so a crash never forgets a process or a report.
/// </summary>
internal sealed partial class JobReconciler(
    AgentOptions options,
    JobRunner runner,
    JobDirectories directories,
    StateStore store,
    TimeProvider time,
    ILogger<JobReconciler> logger) : IDisposable
{
    /// <summary>The detail of a Lost report for a job of a previous agent instance.</summary>
    public const string RestartedDetail = "agent restarted; process lost";

    /// <summary>The detail of a Lost report for a job killed because the agent stopped.</summary>
    public const string StoppedDetail = "agent stopped; process killed";

    /// <summary>Why a job the data center asked to kill was killed.</summary>
    public const string KillRequestedReason = "requested by the data center";

    /// <summary>The detail of a Lost report for a job killed because the agent could not renew its lease in time.</summary>
    public const string LeaseEndedDetail = "the agent could not renew its lease with the data center; process killed";

    /// <summary>
    /// The share of a lease after which the agent kills its jobs when it could not renew: the rest is the margin for the
    /// kill itself, counted from when the agent sent its last successful sync (the data center counts from later).
    /// </summary>
    public const double LeaseShare = 0.8;

    private readonly Lock _gate = new();
    private readonly Dictionary<string, RunningJob> _running = new(StringComparer.Ordinal);
    private readonly List<AgentJobReport> _reports = [];
    private readonly SemaphoreSlim _reported = new(0);
    private readonly HashSet<string> _allowedTenants = new(options.AllowedTenants, StringComparer.Ordinal);
    private string? _starting;
    private bool _stopping;
    private ITimer? _leaseTimer;
    private DateTimeOffset? _leaseEnds;

    /// <summary>This process's identity towards the data center: new on every start.</summary>
    public string InstanceId { get; } = Guid.NewGuid().ToString("N");

    /// <summary>
    /// Takes over from the previous instance: kills the process groups of the jobs it recorded that still live (their
    /// output and exit code are out of reach now, so the federation must not believe they still run), reports each
    /// Lost, and keeps its unacknowledged reports to send again.
    /// </summary>
    public void Recover()
    {
        var saved = store.Load();
        directories.EnsureRoot();
        lock (_gate)
        {
            _reports.AddRange(saved.Reports);
            foreach (var job in saved.Jobs)
            {
                var killed = KillOrphan(job);
                LogOrphan(job.JobId, job.ProcessGroup, killed);
                TryRemoveDirectory(job.JobId);
                _reports.Add(new AgentJobReport(job.JobId, AgentJobPhase.Lost, time.GetUtcNow(), Detail: RestartedDetail));
            }

            SaveLocked();
        }
    }

    /// <summary>The next sync request, and the reports it carries (only those may be dropped on acknowledgement).</summary>
    public (AgentSyncRequest Request, IReadOnlyList<AgentJobReport> Sent) NextRequest(AgentCapacity? capacity, string? version)
    {
        lock (_gate)
        {
            var sent = _reports.ToArray();
            return (new AgentSyncRequest(InstanceId, [.. _running.Keys.Order(StringComparer.Ordinal)], sent, capacity, version), sent);
        }
    }

    /// <summary>Jobs with a live process now.</summary>
    public IReadOnlyList<string> Running()
    {
        lock (_gate)
        {
            return [.. _running.Keys];
        }
    }

    /// <summary>Reports not yet acknowledged, oldest first.</summary>
    public IReadOnlyList<AgentJobReport> PendingReports()
    {
        lock (_gate)
        {
            return [.. _reports];
        }
    }

    /// <summary>
    /// A sync sent at <paramref name="sentAt"/> succeeded and renewed the lease on this agent's jobs for
    /// <paramref name="lease"/> (none from a data center without leases): unless renewed again, every job is killed and
    /// reported Lost at <see cref="LeaseShare"/> of it.
    /// </summary>
    public void Renew(TimeSpan? lease, DateTimeOffset sentAt)
    {
        lock (_gate)
        {
            if (lease is not { } length || length <= TimeSpan.Zero)
            {
                _leaseEnds = null;
                _leaseTimer?.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
                return;
            }

            var ends = sentAt + length * LeaseShare;
            _leaseEnds = ends;
            var due = ends - time.GetUtcNow();
            due = due < TimeSpan.Zero ? TimeSpan.Zero : due;
            if (_leaseTimer is null)
            {
                _leaseTimer = time.CreateTimer(_ => EndLease(), null, due, Timeout.InfiniteTimeSpan);
            }
            else
            {
                _leaseTimer.Change(due, Timeout.InfiniteTimeSpan);
            }
        }
    }

    /// <summary>Applies a response to the request that carried <paramref name="sent"/>: forget acknowledged reports, kill, start.</summary>
    public void Apply(AgentSyncResponse response, IReadOnlyList<AgentJobReport> sent)
    {
        lock (_gate)
        {
            AcknowledgeLocked(response.Acknowledged, sent);
            if (_stopping)
            {
                SaveLocked();
                return;
            }

            var kill = new HashSet<string>(response.Kill ?? [], StringComparer.Ordinal);
            foreach (var jobId in kill)
            {
                if (_running.TryGetValue(jobId, out var job))
                {
                    LogKilling(jobId, KillRequestedReason);
                    job.Kill(KillRequestedReason);
                }
            }

            // A response that came after its lease ended starts nothing: the data center may place those jobs elsewhere.
            var leased = _leaseEnds is not { } ends || time.GetUtcNow() < ends;
            foreach (var assignment in leased ? response.Start ?? [] : [])
            {
                if (!kill.Contains(assignment.JobId) && !_running.ContainsKey(assignment.JobId) && !EndedLocked(assignment.JobId))
                {
                    StartLocked(assignment);
                }
            }

            SaveLocked();
        }
    }

    /// <summary>Forgets the reports of <paramref name="sent"/> whose job is in <paramref name="acknowledged"/>; reports added since stay.</summary>
    public void Acknowledge(IReadOnlyList<string> acknowledged, IReadOnlyList<AgentJobReport> sent)
    {
        lock (_gate)
        {
            AcknowledgeLocked(acknowledged, sent);
            SaveLocked();
        }
    }

    /// <summary>Waits until <paramref name="interval"/> has passed or a new report waits to be sent, whichever is first.</summary>
    public async Task WaitForReportAsync(TimeSpan interval, CancellationToken cancellationToken)
    {
        using var either = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var delay = Task.Delay(interval, time, either.Token);
        var report = _reported.WaitAsync(either.Token);
        await Task.WhenAny(delay, report);
        await either.CancelAsync();
        cancellationToken.ThrowIfCancellationRequested();
        while (_reported.Wait(0, CancellationToken.None))
        {
            // One sync carries every report that arrived meanwhile.
        }
    }

    /// <summary>
    /// Stops for good: starts nothing more, kills every job's process tree and reports each Lost (so the federation
    /// re-queues or fails it by its policy, and it never runs here unobserved while running elsewhere), and saves that.
    /// </summary>
    public async Task StopAsync(TimeSpan grace)
    {
        RunningJob[] jobs;
        lock (_gate)
        {
            _stopping = true;
            jobs = [.. _running.Values];
        }

        foreach (var job in jobs)
        {
            LogKilling(job.JobId, StoppedDetail);
            job.Kill(StoppedDetail);
        }

        try
        {
            await Task.WhenAll(jobs.Select(j => j.Exit)).WaitAsync(grace, time);
        }
        catch (TimeoutException)
        {
            // Their groups were sent SIGKILL; the next instance kills again whatever is still recorded.
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _leaseTimer?.Dispose();
        _reported.Dispose();
    }

    /// <summary>The lease ended without a renewal: kill every job (each is reported Lost) before the data center places it elsewhere.</summary>
    private void EndLease()
    {
        RunningJob[] jobs;
        lock (_gate)
        {
            if (_stopping || _leaseEnds is not { } ends)
            {
                return;
            }

            if (time.GetUtcNow() < ends)
            {
                // Renewed meanwhile, or the timer ran ahead of the wall clock: look again when it ends.
                _leaseTimer?.Change(ends - time.GetUtcNow(), Timeout.InfiniteTimeSpan);
                return;
            }

            jobs = [.. _running.Values];
        }

        if (jobs.Length > 0)
        {
            LogLeaseEnded(jobs.Length);
        }

        foreach (var job in jobs)
        {
            job.Kill(LeaseEndedDetail);
        }
    }

    private void StartLocked(AgentAssignment assignment)
    {
        if (_allowedTenants.Count > 0 && !_allowedTenants.Contains(assignment.Tenant))
        {
            RejectLocked(assignment.JobId, $"tenant '{assignment.Tenant}' is not allowed on this agent");
            return;
        }

        // Recorded before the process exists (pid 0), so a crash between its start and the next save still leaves a trace.
        _starting = assignment.JobId;
        SaveLocked();
        RunningJob job;
        try
        {
            job = runner.Start(assignment);
        }
        catch (Exception e) when (e is JobRejectedException or IOException or UnauthorizedAccessException)
        {
            _starting = null;
            TryRemoveDirectory(assignment.JobId);
            RejectLocked(assignment.JobId, e.Message);
            return;
        }

        _starting = null;
        _running[assignment.JobId] = job;
        AddReportLocked(new AgentJobReport(assignment.JobId, AgentJobPhase.Started, time.GetUtcNow()));
        SaveLocked();
        _ = job.Exit.ContinueWith(exit => OnExited(job, exit.Result, assignment.WallTime), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    private void OnExited(RunningJob job, JobExit exit, TimeSpan wallTime)
    {
        lock (_gate)
        {
            _running.Remove(job.JobId);
            var now = time.GetUtcNow();
            var lost = (_stopping && exit.KillReason == StoppedDetail) || exit.KillReason == LeaseEndedDetail;
            var report = lost
                ? new AgentJobReport(job.JobId, AgentJobPhase.Lost, now, exit.ExitCode, exit.OutputTail, exit.KillReason)
                : new AgentJobReport(
                    job.JobId,
                    AgentJobPhase.Exited,
                    now,
                    exit.ExitCode,
                    exit.OutputTail,
                    exit.TimedOut ? $"wall-time limit {wallTime:c} exceeded; process tree killed"
                        : exit.KillReason is { } reason ? $"killed: {reason}"
                        : null,
                    exit.TimedOut);
            AddReportLocked(report);
            if (report.Detail is { } detail)
            {
                LogEnded(job.JobId, report.Phase, exit.ExitCode, detail);
            }
            else
            {
                LogExited(job.JobId, report.Phase, exit.ExitCode);
            }

            SaveLocked();
        }

        TryRemoveDirectory(job.JobId);
    }

    private void RejectLocked(string jobId, string detail)
    {
        LogRejected(jobId, detail);
        AddReportLocked(new AgentJobReport(jobId, AgentJobPhase.Rejected, time.GetUtcNow(), Detail: detail));
    }

    private void AddReportLocked(AgentJobReport report)
    {
        _reports.Add(report);
        _reported.Release();
    }

    private void AcknowledgeLocked(IReadOnlyList<string>? acknowledged, IReadOnlyList<AgentJobReport> sent)
    {
        if (acknowledged is not { Count: > 0 })
        {
            return;
        }

        var ids = new HashSet<string>(acknowledged, StringComparer.Ordinal);
        var drop = new HashSet<AgentJobReport>(sent.Where(r => ids.Contains(r.JobId)), ReferenceEqualityComparer.Instance);
        _reports.RemoveAll(drop.Contains);
    }

    /// <summary>A job whose end (exit, loss or refusal) is reported but not acknowledged: starting it again would run it twice.</summary>
    private bool EndedLocked(string jobId) => _reports.Exists(r => r.JobId == jobId && r.Phase != AgentJobPhase.Started);

    private void SaveLocked() =>
        store.Save(new AgentStateFile(
            [
                .. _running.Values.Select(j => new JobRecord(j.JobId, j.Pid, j.ProcessGroup, j.StartTime)),
                .. _starting is null ? [] : new[] { new JobRecord(_starting, 0, 0, 0) },
            ],
            [.. _reports]));

    /// <summary>
    /// Kills a previous instance's job group unless its pid now belongs to another process. Linux does not reuse a pid
    /// while a process group of that id has members, so if the pid is free or still the job's leader, the group is the job's.
    /// </summary>
    private static bool KillOrphan(JobRecord job)
    {
        if (job.Pid == 0)
        {
            // Crashed while starting it: its pid never reached the file, but its environment names it.
            var found = ProcStat.WithJobId(job.JobId);
            found.ForEach(p => Native.KillGroup(p.ProcessGroup));
            return found.Count > 0;
        }

        if (ProcStat.Read(job.Pid) is { } now && job.StartTime != 0 && now.StartTime != job.StartTime)
        {
            return false;
        }

        return Native.KillGroup(job.ProcessGroup) | Native.KillProcess(job.Pid);
    }

    private void TryRemoveDirectory(string jobId)
    {
        try
        {
            directories.Remove(jobId);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            LogDirectoryNotRemoved(jobId, e.Message);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {JobId} of the previous agent instance: process group {ProcessGroup} killed: {Killed}; reporting it Lost")]
    private partial void LogOrphan(string jobId, int processGroup, bool killed);

    [LoggerMessage(Level = LogLevel.Information, Message = "Killing job {JobId}: {Reason}")]
    private partial void LogKilling(string jobId, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Job {JobId} {Phase} with exit code {ExitCode}")]
    private partial void LogExited(string jobId, AgentJobPhase phase, int exitCode);

    [LoggerMessage(Level = LogLevel.Information, Message = "Job {JobId} {Phase} with exit code {ExitCode}: {Detail}")]
    private partial void LogEnded(string jobId, AgentJobPhase phase, int exitCode, string detail);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The lease on this agent's jobs is ending without a renewal from the data center: killing {Count} jobs, to report them Lost")]
    private partial void LogLeaseEnded(int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {JobId} rejected: {Detail}")]
    private partial void LogRejected(string jobId, string detail);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The directory of job {JobId} could not be removed: {Reason}")]
    private partial void LogDirectoryNotRemoved(string jobId, string reason);
}
