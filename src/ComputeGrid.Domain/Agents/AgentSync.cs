namespace ComputeGrid.Domain.Agents;

/// <summary>One job with a command placed at a data center, as the agent sync sees it.</summary>
/// <param name="Tenant">The job's tenant (an agent runs only the commands of its allowed tenants).</param>
/// <param name="AgentId">The agent it is assigned to, or null while no agent has it.</param>
/// <param name="InstanceId">The agent process instance it was assigned to.</param>
/// <param name="Started">The agent reported its process started.</param>
/// <param name="Ended">Its end (exit, loss or refusal) is recorded here; the job has been or is being told.</param>
/// <param name="Released">
/// The job gave its capacity back (cancelled, preempted) while its process may still run: the agent is told to kill it,
/// and the end it reports is still forwarded to the job (a cancelled job keeps its exit code and output).
/// </param>
public sealed record CommandView(string Tenant, string? AgentId, string? InstanceId, bool Started, bool Ended, bool Released);

/// <summary>An agent's report, reduced to what the reconcile decides on.</summary>
/// <param name="JobId">The job.</param>
/// <param name="IsStart">A Started report; any other report ends the job's process here.</param>
public readonly record struct ReportView(string JobId, bool IsStart);

/// <summary>The agent that syncs, authenticated by its credential.</summary>
/// <param name="AgentId">Its id within the data center.</param>
/// <param name="InstanceId">Its process instance (new on every start of the agent).</param>
/// <param name="PreviousInstanceId">The instance of its previous sync, or null before its first.</param>
/// <param name="AllowedTenants">Tenants whose commands it runs (<c>*</c>: every tenant).</param>
public sealed record SyncingAgent(string AgentId, string InstanceId, string? PreviousInstanceId, IReadOnlyCollection<string> AllowedTenants);

/// <summary>One agent of a data center, as the heartbeat and directory rules see it.</summary>
/// <param name="AgentId">Its id within the data center.</param>
/// <param name="Active">Its credential is not revoked.</param>
/// <param name="LastSyncAt">Its last sync; null before its first.</param>
/// <param name="AllowedTenants">Tenants whose commands it runs (<c>*</c>: every tenant).</param>
public sealed record AgentView(string AgentId, bool Active, DateTimeOffset? LastSyncAt, IReadOnlyCollection<string> AllowedTenants)
{
    /// <summary>Active and synced at least once: a data center waits for such an agent before it runs commands or watches heartbeats.</summary>
    public bool Serving => Active && LastSyncAt is not null;
}

/// <summary>A job whose process the agent lost, with the reason the job is told.</summary>
public readonly record struct LostJob(string JobId, string Detail);

/// <summary>An end report to record and forward to its job.</summary>
/// <param name="JobId">The job.</param>
/// <param name="Report">The index of the report in the request.</param>
public readonly record struct EndedJob(string JobId, int Report);

/// <summary>What one sync decides.</summary>
/// <param name="Commands">Every command after the sync (the ones no longer needed are gone).</param>
/// <param name="Start">Jobs the agent must start (assigned to it by this sync or before, and not running there).</param>
/// <param name="Kill">Jobs the agent runs that must stop: unknown here, another agent's, ended or released.</param>
/// <param name="Acknowledged">Jobs whose reports in this request are recorded once the decision is persisted.</param>
/// <param name="Started">Jobs whose process started by this sync: the job becomes Running.</param>
/// <param name="Ended">End reports to record (and forward to the job once persisted).</param>
/// <param name="Lost">Jobs whose process the agent lost: recorded as lost and forwarded.</param>
/// <param name="Ignored">
/// Jobs whose reports change nothing (acknowledged all the same): unknown here, another agent's, already ended, or a
/// Started report repeated or arriving after the job let go.
/// </param>
public sealed record SyncDecision(
    IReadOnlyDictionary<string, CommandView> Commands,
    IReadOnlyList<string> Start,
    IReadOnlyList<string> Kill,
    IReadOnlyList<string> Acknowledged,
    IReadOnlyList<string> Started,
    IReadOnlyList<EndedJob> Ended,
    IReadOnlyList<LostJob> Lost,
    IReadOnlyList<string> Ignored);

/// <summary>What the lease check decides for the commands of agents that did not renew their lease in time.</summary>
/// <param name="Commands">Every command after the check.</param>
/// <param name="Preempt">Jobs to preempt (they may run elsewhere now: their agent has stopped them).</param>
public sealed record LeaseDecision(IReadOnlyDictionary<string, CommandView> Commands, IReadOnlyList<string> Preempt);

/// <summary>
/// The agent sync as a pure reconcile: the data center's commands and what the agent reports (the jobs it runs, its
/// reports) become what to start, what to kill and which jobs ended. Both sides send their whole state, so a lost request
/// or answer is repaired by the next sync. No clock and no I/O: the lease is judged by the caller.
/// </summary>
public static class AgentSync
{
    /// <summary>Reconciles one sync of <paramref name="agent"/>.</summary>
    /// <param name="commands">The data center's commands by job id.</param>
    /// <param name="agent">The agent that syncs.</param>
    /// <param name="running">The jobs the agent has a live process for.</param>
    /// <param name="reports">Its unacknowledged reports, oldest first.</param>
    /// <param name="holderGone">True for an agent that may hold no job any more: revoked (or unknown) and past its lease.</param>
    public static SyncDecision Reconcile(
        IReadOnlyDictionary<string, CommandView> commands,
        SyncingAgent agent,
        IReadOnlyCollection<string> running,
        IReadOnlyList<ReportView> reports,
        Func<string, bool> holderGone)
    {
        ArgumentNullException.ThrowIfNull(commands);
        ArgumentNullException.ThrowIfNull(agent);
        ArgumentNullException.ThrowIfNull(running);
        ArgumentNullException.ThrowIfNull(reports);
        ArgumentNullException.ThrowIfNull(holderGone);
        var next = new Dictionary<string, CommandView>(commands, StringComparer.Ordinal);
        var runs = new HashSet<string>(running, StringComparer.Ordinal);
        var acknowledged = new List<string>();
        var reported = new HashSet<string>(StringComparer.Ordinal);
        var started = new List<string>();
        var ended = new List<EndedJob>();
        var lost = new List<LostJob>();
        var ignored = new List<string>();
        var restarted = agent.PreviousInstanceId is not null && agent.PreviousInstanceId != agent.InstanceId;

        for (var i = 0; i < reports.Count; i++)
        {
            var (jobId, isStart) = reports[i];
            if (reported.Add(jobId))
            {
                acknowledged.Add(jobId);
            }

            if (!next.TryGetValue(jobId, out var command) || command.AgentId != agent.AgentId || command.Ended)
            {
                ignored.Add(jobId);
                continue;
            }

            if (command.Released)
            {
                if (isStart)
                {
                    ignored.Add(jobId);
                }
                else
                {
                    // Killed after the job let go: the job still hears how it ended; nothing is left to kill.
                    next.Remove(jobId);
                    ended.Add(new EndedJob(jobId, i));
                }

                continue;
            }

            if (isStart)
            {
                if (command.Started)
                {
                    ignored.Add(jobId);
                }
                else
                {
                    next[jobId] = command with { Started = true, InstanceId = agent.InstanceId };
                    started.Add(jobId);
                }

                continue;
            }

            next[jobId] = command with { Ended = true };
            ended.Add(new EndedJob(jobId, i));
        }

        foreach (var (jobId, command) in next.Where(c => c.Value.AgentId == agent.AgentId && !c.Value.Ended).ToList())
        {
            if (runs.Contains(jobId))
            {
                next[jobId] = command with { InstanceId = agent.InstanceId };
                continue;
            }

            if (reported.Contains(jobId))
            {
                continue;
            }

            if (command.Released)
            {
                // Not running and no end reported: gone with a restart, or its end was acknowledged before.
                next.Remove(jobId);
            }
            else if (command.Started)
            {
                var detail = restarted && command.InstanceId != agent.InstanceId
                    ? $"agent {agent.AgentId} restarted; the process was lost"
                    : $"agent {agent.AgentId} no longer runs the process";
                next[jobId] = command with { Ended = true };
                lost.Add(new LostJob(jobId, detail));
            }
        }

        var start = new List<string>();
        foreach (var (jobId, command) in next.Where(c => !c.Value.Ended && !c.Value.Released && !runs.Contains(c.Key)).OrderBy(c => c.Key, StringComparer.Ordinal).ToList())
        {
            var mine = command.AgentId == agent.AgentId && !command.Started;
            var free = command.AgentId is null || (command.AgentId != agent.AgentId && holderGone(command.AgentId));
            if ((mine || free) && RunsCommandsOf(agent.AllowedTenants, command.Tenant))
            {
                next[jobId] = command with { AgentId = agent.AgentId, InstanceId = agent.InstanceId, Started = false };
                start.Add(jobId);
            }
        }

        var kill = running
            .Where(j => !next.TryGetValue(j, out var c) || c.AgentId != agent.AgentId || c.Ended || c.Released)
            .Distinct(StringComparer.Ordinal)
            .ToList();
        return new SyncDecision(next, start, kill, acknowledged, started, ended, lost, ignored);
    }

    /// <summary>
    /// The lease check: a job whose agent did not renew its lease in time is preempted (its agent stopped it before the
    /// lease ended, so it may run elsewhere now); a released command of such an agent is forgotten (its process is gone).
    /// </summary>
    /// <param name="commands">The data center's commands by job id.</param>
    /// <param name="leaseExpired">True for an agent whose last renewal is older than the lease (or that is unknown).</param>
    public static LeaseDecision ExpireLeases(IReadOnlyDictionary<string, CommandView> commands, Func<string, bool> leaseExpired)
    {
        ArgumentNullException.ThrowIfNull(commands);
        ArgumentNullException.ThrowIfNull(leaseExpired);
        var next = new Dictionary<string, CommandView>(commands, StringComparer.Ordinal);
        var preempt = new List<string>();
        foreach (var (jobId, command) in commands.OrderBy(c => c.Key, StringComparer.Ordinal))
        {
            if (command.AgentId is not { } holder || command.Ended || !leaseExpired(holder))
            {
                continue;
            }

            if (command.Released)
            {
                next.Remove(jobId);
            }
            else
            {
                preempt.Add(jobId);
            }
        }

        return new LeaseDecision(next, preempt);
    }

    /// <summary>
    /// A job was handed to the data center's agents: its command is recorded, unless one is already known and still wanted
    /// (the hand-over is repeated by reconciliation; a released command belongs to an earlier placement of the job).
    /// </summary>
    public static bool Assigns(CommandView? known) => known is null || known.Released;

    /// <summary>
    /// A job let its capacity go: its command is forgotten (null), unless its process may still run (an agent started it
    /// and no end is recorded), when it stays as released until the agent kills it and reports how it ended, or its lease ends.
    /// </summary>
    public static CommandView? Release(CommandView command)
    {
        ArgumentNullException.ThrowIfNull(command);
        return command.Started && !command.Ended && command.AgentId is not null ? command with { Released = true } : null;
    }

    /// <summary>An agent's lease ended: it never synced (it holds nothing), or its last renewal is older than the lease.</summary>
    /// <param name="lastSyncAt">Its last sync, which renewed its lease; null before its first.</param>
    /// <param name="now">Now, on the federation clock.</param>
    /// <param name="lease">How long a sync renews the lease.</param>
    public static bool LeaseExpired(DateTimeOffset? lastSyncAt, DateTimeOffset now, TimeSpan lease) =>
        lastSyncAt is not { } renewed || now - renewed > lease;

    /// <summary>
    /// The heartbeat rule: the data center goes Offline when every agent serving it (active, synced at least once) is
    /// silent. One that awaits its first agent (none serving) is left as it is.
    /// </summary>
    /// <param name="agents">Every agent of the data center.</param>
    /// <param name="fresh">True for an agent heard within the heartbeat timeout.</param>
    public static bool Silent(IEnumerable<AgentView> agents, Func<string, bool> fresh)
    {
        ArgumentNullException.ThrowIfNull(agents);
        ArgumentNullException.ThrowIfNull(fresh);
        var serving = agents.Where(a => a.Serving).ToList();
        return serving.Count > 0 && !serving.Any(a => fresh(a.AgentId));
    }

    /// <summary>
    /// Jobs an agent still holds a lease on (no end recorded, and its agent's lease has not ended): they are not preempted
    /// when the data center goes silent, but when their lease ends, by when their agent has stopped them.
    /// </summary>
    public static IReadOnlySet<string> Leased(IReadOnlyDictionary<string, CommandView> commands, Func<string, bool> leaseExpired)
    {
        ArgumentNullException.ThrowIfNull(commands);
        ArgumentNullException.ThrowIfNull(leaseExpired);
        return commands.Where(c => !c.Value.Ended && c.Value.AgentId is { } holder && !leaseExpired(holder)).Select(c => c.Key).ToHashSet(StringComparer.Ordinal);
    }

    /// <summary>
    /// The tenants whose commands the data center's agents run, as the pool's directory lists them: only agents that
    /// serve count (null while none does), so commands are not placed at a data center that awaits its first agent.
    /// </summary>
    public static IReadOnlyList<string>? CommandTenants(IEnumerable<AgentView> agents)
    {
        ArgumentNullException.ThrowIfNull(agents);
        var serving = agents.Where(a => a.Serving).ToList();
        return serving.Count == 0 ? null : [.. serving.SelectMany(a => a.AllowedTenants).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)];
    }

    /// <summary>Whether an agent that runs the commands of <paramref name="allowed"/> may run those of <paramref name="tenant"/>.</summary>
    public static bool RunsCommandsOf(IReadOnlyCollection<string> allowed, string tenant) =>
        allowed.Contains(Placement.CandidateState.AnyTenant) || allowed.Contains(tenant);
}
