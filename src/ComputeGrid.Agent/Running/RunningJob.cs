using System.Diagnostics;

namespace ComputeGrid.Agent.Running;

/// <summary>How a job's process ended.</summary>
/// <param name="ExitCode">Its exit code; 128 + the signal when a signal ended it (137 for SIGKILL, the wall-time limit and kills).</param>
/// <param name="OutputTail">The last bytes of its stdout and stderr together.</param>
/// <param name="TimedOut">The agent killed it at its wall-time limit.</param>
/// <param name="KillReason">Why the agent killed it on request, or null.</param>
internal sealed record JobExit(int ExitCode, string OutputTail, bool TimedOut, string? KillReason);

/// <summary>
/// One job's live process: the leader of its own session and process group (pid = process group id), so killing the
/// group kills every process the job started, however deep, unless one left the group on purpose.
/// </summary>
internal sealed class RunningJob
{
    private readonly Process _process;
    private readonly OutputTail _tail;
    private readonly ITimer _wallTimer;
    private readonly TimeProvider _time;
    private readonly Lock _gate = new();
    private bool _timedOut;
    private string? _killReason;

    internal RunningJob(string jobId, string tenant, Process process, ProcStat? stat, OutputTail tail, TimeSpan wallTime, TimeProvider time)
    {
        JobId = jobId;
        Tenant = tenant;
        _process = process;
        _tail = tail;
        _time = time;
        Pid = process.Id;
        ProcessGroup = process.Id;
        StartTime = stat?.StartTime ?? 0;
        // A timer's longest due time is 2^32 - 2 ms (about 49.7 days); a longer limit is that long.
        var due = wallTime > TimeSpan.FromMilliseconds(uint.MaxValue - 1) ? TimeSpan.FromMilliseconds(uint.MaxValue - 1) : wallTime;
        _wallTimer = time.CreateTimer(_ => TimeOut(), null, due, Timeout.InfiniteTimeSpan);
        Exit = WatchAsync();
    }

    /// <summary>The job.</summary>
    public string JobId { get; }

    /// <summary>Its tenant.</summary>
    public string Tenant { get; }

    /// <summary>The process id of the job's leader.</summary>
    public int Pid { get; }

    /// <summary>The job's process group (and session) id: the leader's pid.</summary>
    public int ProcessGroup { get; }

    /// <summary>The leader's start time in clock ticks after boot (from <c>/proc</c>), 0 if it could not be read.</summary>
    public ulong StartTime { get; }

    /// <summary>Completes when the leader has exited and the rest of its group was killed.</summary>
    public Task<JobExit> Exit { get; }

    /// <summary>Kills the whole process tree; the exit then carries <paramref name="reason"/> (the first reason given wins).</summary>
    public void Kill(string reason)
    {
        lock (_gate)
        {
            _killReason ??= reason;
        }

        KillTree();
    }

    private void TimeOut()
    {
        lock (_gate)
        {
            if (_killReason is not null)
            {
                return;
            }

            _timedOut = true;
        }

        KillTree();
    }

    private void KillTree()
    {
        // The group, and the leader itself for the instant between exec and setsid() when its group does not exist yet.
        Native.KillGroup(ProcessGroup);
        Native.KillProcess(Pid);
    }

    private async Task<JobExit> WatchAsync()
    {
        var pumps = Task.WhenAll(PumpAsync(_process.StandardOutput.BaseStream), PumpAsync(_process.StandardError.BaseStream));
        await _process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
        await _wallTimer.DisposeAsync().ConfigureAwait(false);
        var exitCode = _process.ExitCode;
        // The job is its leader: what it left behind in its group dies with it, which also closes their copies of the pipes.
        Native.KillGroup(ProcessGroup);
        try
        {
            await pumps.WaitAsync(TimeSpan.FromSeconds(5), _time).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            // A process that left the group still holds the pipe: report what was read so far.
        }

        _process.Dispose();
        lock (_gate)
        {
            return new JobExit(_timedOut ? 128 + Native.SigKill : exitCode, _tail.ToString(), _timedOut, _killReason);
        }
    }

    private async Task PumpAsync(Stream stream)
    {
        var buffer = new byte[8192];
        try
        {
            int read;
            while ((read = await stream.ReadAsync(buffer).ConfigureAwait(false)) > 0)
            {
                _tail.Append(buffer.AsSpan(0, read));
            }
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException)
        {
            // The pipe broke: the output ends here.
        }
    }
}
