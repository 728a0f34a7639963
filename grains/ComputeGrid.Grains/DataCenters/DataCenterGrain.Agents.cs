using ComputeGrid.Contracts;
using ComputeGrid.Contracts.Agents;
using ComputeGrid.Contracts.Jobs;
using ComputeGrid.Domain.Topology;
using ComputeGrid.Domain;
using ComputeGrid.Domain.Agents;
using ComputeGrid.Domain.Jobs;
using Microsoft.Extensions.Logging;

namespace ComputeGrid.Grains.DataCenters;

/// <summary>
/// One agent of a data center: its credential as the credential grain last told (a cache; id 1 held the secret's hash
/// when credentials lived here) and what it last reported.
/// </summary>
[GenerateSerializer, Alias("cg.AgentRecord")]
internal sealed class AgentRecord
{
    [Id(0)] public string Name { get; set; } = string.Empty;

    [Id(2)] public List<string> AllowedTenants { get; set; } = [];

    [Id(3)] public DateTimeOffset IssuedAt { get; set; }

    [Id(4)] public DateTimeOffset? RevokedAt { get; set; }

    [Id(5)] public string? InstanceId { get; set; }

    [Id(6)] public AgentCapacity? Capacity { get; set; }

    [Id(7)] public string? Version { get; set; }

    /// <summary>Its last sync, which renewed its lease; null until its first.</summary>
    [Id(8)] public DateTimeOffset? LastSyncAt { get; set; }

    public bool Active => RevokedAt is null;

    /// <summary>Active and synced at least once: a data center waits for such an agent before it runs commands or watches heartbeats.</summary>
    public bool Serving => Active && LastSyncAt is not null;
}

/// <summary>A job with a command placed here: which agent (process instance) runs it, and how it ended.</summary>
[GenerateSerializer, Alias("cg.CommandRecord")]
internal sealed class CommandRecord
{
    [Id(0)] public string Tenant { get; set; } = string.Empty;

    [Id(1)] public JobCommand Command { get; set; } = new(string.Empty, [], new Dictionary<string, string>());

    [Id(2)] public TimeSpan WallTime { get; set; }

    [Id(3)] public string? AgentId { get; set; }

    [Id(4)] public string? InstanceId { get; set; }

    [Id(5)] public bool Started { get; set; }

    /// <summary>The report that ended it here, kept until the job releases its capacity.</summary>
    [Id(6)] public EndedReport? Ended { get; set; }

    /// <summary>The job let its capacity go while its process may still run: kill it, and forward how it ended.</summary>
    [Id(7)] public bool Released { get; set; }

    public CommandView View => new(Tenant, AgentId, InstanceId, Started, Ended is not null, Released);
}

/// <summary>How a job's process ended, as recorded by its data center before the job is told.</summary>
[GenerateSerializer, Immutable, Alias("cg.EndedReport")]
internal sealed record EndedReport([property: Id(0)] AgentJobPhase Phase, [property: Id(1)] JobOutcome? Outcome, [property: Id(2)] string Detail);

/// <summary>
/// The data plane: agents sync with their data center (full state both ways, so a lost message is repaired by the next
/// sync; the decisions are <see cref="AgentSync"/>'s). Each sync renews the agent's lease on its jobs; a job whose agent
/// did not renew in time is preempted only once the lease has ended, by when the agent has stopped it. The data center
/// goes Offline (preempting its jobs) when all its agents that ever synced stay silent past the heartbeat timeout; one
/// that awaits its first agent stays as it is and runs no commands yet.
/// </summary>
internal sealed partial class DataCenterGrain
{
    private const int MaxSyncItems = 10_000;
    private readonly Dictionary<string, DateTimeOffset> _lastSync = new(StringComparer.Ordinal);
    private IGrainTimer? _agentWatch;

    public async Task OnAgentsChangedAsync(IReadOnlyList<AgentGrant> agents, CancellationToken cancellationToken = default)
    {
        foreach (var grant in agents)
        {
            if (!Record.Agents.TryGetValue(grant.AgentId, out var agent))
            {
                agent = Record.Agents[grant.AgentId] = new AgentRecord();
            }

            agent.Name = grant.Name;
            agent.AllowedTenants = [.. grant.AllowedTenants];
            agent.IssuedAt = grant.IssuedAt;
            agent.RevokedAt = grant.RevokedAt;
        }

        await Commit.CommitAsync();
        StartAgentWatch();
        await AnnounceAgentsAsync();
    }

    public Task<IReadOnlyList<AgentInfo>> ListAgentsAsync(CancellationToken cancellationToken = default) =>
        Task.FromResult<IReadOnlyList<AgentInfo>>([.. Record.Agents.OrderBy(a => a.Value.IssuedAt).Select(a => new AgentInfo(
            a.Key,
            a.Value.Name,
            a.Value.AllowedTenants,
            a.Value.IssuedAt,
            a.Value.RevokedAt,
            a.Value.LastSyncAt,
            a.Value.Serving && IsFresh(a.Key),
            a.Value.InstanceId,
            a.Value.Capacity,
            a.Value.Version,
            Record.Commands.Count(c => c.Value.AgentId == a.Key && c.Value.Started && c.Value.Ended is null && !c.Value.Released)))]);

    public async Task<AgentSyncResult> SyncAgentAsync(AgentGrant grant, AgentSyncRequest request, CancellationToken cancellationToken = default)
    {
        if (!Exists || grant is null || !grant.Active)
        {
            return AgentSyncResult.Unauthorized;
        }

        if (ValidateSync(request) is { Count: > 0 } errors)
        {
            return new AgentSyncResult(true, null, errors);
        }

        if (!Record.Agents.TryGetValue(grant.AgentId, out var agent))
        {
            // Authenticated, but the credential grain's word of it was lost: its grant is as good.
            agent = Record.Agents[grant.AgentId] = new AgentRecord { Name = grant.Name, IssuedAt = grant.IssuedAt };
        }

        agent.AllowedTenants = [.. grant.AllowedTenants];
        var now = clock.Now;
        var first = agent.LastSyncAt is null;
        _lastSync[grant.AgentId] = now;
        var reports = request.Reports;
        var decision = AgentSync.Reconcile(
            Record.Commands.ToDictionary(c => c.Key, c => c.Value.View, StringComparer.Ordinal),
            new SyncingAgent(grant.AgentId, request.InstanceId, agent.InstanceId, agent.AllowedTenants),
            request.Running,
            [.. reports.Select(r => new ReportView(r.JobId, r.Phase == AgentJobPhase.Started))],
            holder => !Record.Agents.TryGetValue(holder, out var h) || (!h.Active && LeaseExpired(h, now)));

        var forwards = new List<(string JobId, EndedReport Report)>();
        foreach (var (jobId, index) in decision.Ended)
        {
            var report = reports[index];
            forwards.Add((jobId, new EndedReport(report.Phase, new JobOutcome(report.ExitCode, Tail(report.OutputTail), report.TimedOut), Describe(report))));
        }

        foreach (var (jobId, detail) in decision.Lost)
        {
            forwards.Add((jobId, new EndedReport(AgentJobPhase.Lost, null, detail)));
        }

        ApplyCommands(decision.Commands, forwards);
        agent.InstanceId = request.InstanceId;
        agent.Capacity = request.Capacity;
        agent.Version = request.Version;
        agent.LastSyncAt = now;
        var back = Book.HearAgent();

        // Durable before anybody hears of it: the agent forgets acknowledged reports and renews its lease, the jobs act on them.
        await Commit.CommitAsync();
        if (back)
        {
            LogBackOnline(logger, Id, grant.AgentId);
        }

        if (back || first)
        {
            // Its first sync makes the data center run this agent's tenants' commands.
            StartAgentWatch();
            await AnnounceAgentsAsync();
        }

        foreach (var jobId in decision.Started)
        {
            await GrainFactory.GetGrain<IJobGrain>(jobId).OnAgentReportAsync(Id, AgentJobPhase.Started, null, $"started by agent {grant.AgentId}");
        }

        foreach (var (jobId, report) in forwards)
        {
            await GrainFactory.GetGrain<IJobGrain>(jobId).OnAgentReportAsync(Id, report.Phase, report.Outcome, report.Detail);
        }

        var start = decision.Start.Select(j => (Id: j, Command: Record.Commands[j])).Select(a => new AgentAssignment(a.Id, a.Command.Tenant, a.Command.Command, a.Command.WallTime)).ToList();
        var options = agentOptions.Value;
        return new AgentSyncResult(true, new AgentSyncResponse(Id, start, decision.Kill, decision.Acknowledged, options.SyncInterval, options.Lease), []);
    }

    /// <summary>Makes the commands what a decision says, recording the ends it forwards; a command dropped from it is removed.</summary>
    private void ApplyCommands(IReadOnlyDictionary<string, CommandView> commands, IReadOnlyList<(string JobId, EndedReport Report)> ended)
    {
        foreach (var jobId in Record.Commands.Keys.Where(k => !commands.ContainsKey(k)).ToList())
        {
            Record.Commands.Remove(jobId);
        }

        foreach (var (jobId, view) in commands)
        {
            var command = Record.Commands[jobId];
            command.AgentId = view.AgentId;
            command.InstanceId = view.InstanceId;
            command.Started = view.Started;
            command.Released = view.Released;
        }

        foreach (var (jobId, report) in ended)
        {
            if (Record.Commands.TryGetValue(jobId, out var command))
            {
                command.Ended = report;
            }
        }
    }

    /// <summary>
    /// A job let its capacity go: its command is forgotten, unless its process may still run (started, no end reported),
    /// when it stays as released until the agent kills it and reports how it ended, or its lease ends.
    /// </summary>
    private void ReleaseCommand(string jobId)
    {
        if (Record.Commands.TryGetValue(jobId, out var command) && command.Started && command.Ended is null && command.AgentId is not null)
        {
            command.Released = true;
            return;
        }

        Record.Commands.Remove(jobId);
    }

    /// <summary>Checks the agents every sync interval while the data center has any: heartbeats, then leases.</summary>
    private void StartAgentWatch()
    {
        if (_agentWatch is not null || Record.Agents.Count == 0)
        {
            return;
        }

        var every = agentOptions.Value.SyncInterval;
        _agentWatch = this.RegisterGrainTimer(WatchAgentsAsync, new GrainTimerCreationOptions(every, every) { Interleave = false, KeepAlive = true });
    }

    private async Task WatchAgentsAsync(CancellationToken cancellationToken)
    {
        if (!Exists)
        {
            return;
        }

        await CheckHeartbeatsAsync(cancellationToken);
        await CheckLeasesAsync(cancellationToken);
    }

    /// <summary>
    /// All agents that ever synced are silent past the heartbeat timeout: the data center goes Offline and its jobs are
    /// placed elsewhere. One whose agents never synced awaits its first agent and is left as it is.
    /// </summary>
    private async Task CheckHeartbeatsAsync(CancellationToken cancellationToken)
    {
        var serving = Record.Agents.Where(a => a.Value.Serving).Select(a => a.Key).ToList();
        if (serving.Count == 0 || Book.Status == DataCenterStatus.Offline || serving.Any(IsFresh))
        {
            return;
        }

        // A job whose agent still holds a lease on it (revoked a moment ago, say) waits for the lease to end.
        var now = clock.Now;
        var leased = Record.Commands
            .Where(c => c.Value.Ended is null && c.Value.AgentId is { } holder && Record.Agents.TryGetValue(holder, out var agent) && !LeaseExpired(agent, now))
            .Select(c => c.Key)
            .ToHashSet(StringComparer.Ordinal);
        Book.GoSilent();
        foreach (var (jobId, command) in Record.Commands.Where(c => c.Value.Ended is null && c.Value.AgentId is not null && !leased.Contains(c.Key)))
        {
            command.Released = true;
        }

        await Commit.CommitAsync();
        LogSilent(logger, Id, agentOptions.Value.HeartbeatTimeout);
        await AnnounceAgentsAsync();

        // Its jobs are placed again elsewhere; when an agent comes back it is told to kill what it still runs of them.
        var reason = $"data center {Id} went Offline: no agent synced for {agentOptions.Value.HeartbeatTimeout.TotalSeconds:0.#} s";
        foreach (var jobId in Book.HeldJobs().Where(j => !leased.Contains(j)))
        {
            await GrainFactory.GetGrain<IJobGrain>(jobId).PreemptAsync(Id, reason);
        }
    }

    /// <summary>Preempts the jobs of agents whose lease has ended (revoked, or silent); forgets their released commands.</summary>
    private async Task CheckLeasesAsync(CancellationToken cancellationToken)
    {
        var now = clock.Now;
        var decision = AgentSync.ExpireLeases(
            Record.Commands.ToDictionary(c => c.Key, c => c.Value.View, StringComparer.Ordinal),
            holder => !Record.Agents.TryGetValue(holder, out var agent) || LeaseExpired(agent, now));
        if (decision.Preempt.Count == 0 && decision.Commands.Count == Record.Commands.Count)
        {
            return;
        }

        var holders = decision.Preempt.ToDictionary(j => j, j => Record.Commands[j].AgentId!, StringComparer.Ordinal);
        foreach (var jobId in decision.Preempt)
        {
            Record.Commands[jobId].Released = true;
        }

        foreach (var jobId in Record.Commands.Keys.Where(k => !decision.Commands.ContainsKey(k)).ToList())
        {
            Record.Commands.Remove(jobId);
        }

        await Commit.CommitAsync();
        foreach (var (jobId, holder) in holders)
        {
            var revoked = Record.Agents.TryGetValue(holder, out var agent) && !agent.Active;
            LogLeaseEnded(logger, Id, jobId, holder, revoked);
            var reason = revoked
                ? $"the credential of agent {holder} was revoked and its lease on the job ended"
                : $"agent {holder} did not renew its lease on the job within {agentOptions.Value.Lease.TotalSeconds:0.#} s";
            await GrainFactory.GetGrain<IJobGrain>(jobId).PreemptAsync(Id, reason);
        }
    }

    /// <summary>The agent's last renewal (its last sync) is older than the lease; one that never synced holds nothing.</summary>
    private bool LeaseExpired(AgentRecord agent, DateTimeOffset now) =>
        agent.LastSyncAt is not { } renewed || now - renewed > agentOptions.Value.Lease;

    /// <summary>An agent synced within the heartbeat timeout (one never heard of since activation counts from then).</summary>
    private bool IsFresh(string agentId)
    {
        if (!_lastSync.TryGetValue(agentId, out var last))
        {
            last = _lastSync[agentId] = clock.Now;
        }

        return clock.Now - last <= agentOptions.Value.HeartbeatTimeout;
    }

    /// <summary>
    /// Tells the pool this data center's status and the tenants whose commands its agents run: only agents that have
    /// synced count, so commands are not placed at a data center that still awaits its first agent.
    /// </summary>
    private Task AnnounceAgentsAsync()
    {
        var serving = Record.Agents.Values.Where(a => a.Serving).ToList();
        IReadOnlyList<string>? tenants = serving.Count == 0 ? null : [.. serving.SelectMany(a => a.AllowedTenants).Distinct(StringComparer.Ordinal)];
        return GrainFactory.GetGrain<IPoolGrain>(PoolGrainKey.National).OnDataCenterChangedAsync(Id, Book.Status, tenants);
    }

    private static List<ValidationError> ValidateSync(AgentSyncRequest? request)
    {
        var errors = new List<ValidationError>();
        if (request is null)
        {
            errors.Add(new("body", "is required"));
            return errors;
        }

        if (string.IsNullOrWhiteSpace(request.InstanceId) || request.InstanceId.Length > 128)
        {
            errors.Add(new("instanceId", "must be 1..128 characters"));
        }

        if (request.Running is null || request.Running.Count > MaxSyncItems || request.Running.Any(string.IsNullOrWhiteSpace))
        {
            errors.Add(new("running", $"must list at most {MaxSyncItems} job ids, none empty"));
        }

        if (request.Reports is null || request.Reports.Count > MaxSyncItems || request.Reports.Any(r => r is null || string.IsNullOrWhiteSpace(r.JobId)))
        {
            errors.Add(new("reports", $"must list at most {MaxSyncItems} reports, each with a jobId"));
        }
        else if (request.Reports.Any(r => !Enum.IsDefined(r.Phase)))
        {
            errors.Add(new("reports.phase", "must be Started, Exited, Lost or Rejected"));
        }

        if (request.Capacity is { } c && (c.CpuMillicores < 0 || c.MemoryMiB < 0 || c.Gpus < 0))
        {
            errors.Add(new("capacity", "must not be negative"));
        }

        return errors;
    }

    private static string Describe(AgentJobReport report) => report.Phase switch
    {
        AgentJobPhase.Exited when report.TimedOut => $"killed at its wall-time limit (exit code {report.ExitCode})" + (report.Detail is { } d ? $": {d}" : string.Empty),
        AgentJobPhase.Exited => $"exited with code {report.ExitCode}" + (report.Detail is { } d ? $": {d}" : string.Empty),
        AgentJobPhase.Rejected => $"the agent refused to start it: {report.Detail ?? "no reason given"}",
        _ => report.Detail ?? "the agent lost the process",
    };

    private static string? Tail(string? output) => output is null || output.Length <= 4096 ? output : output[^4096..];

    [LoggerMessage(Level = LogLevel.Warning, Message = "Data center {DataCenterId} is Offline: no agent synced within {Timeout}; its jobs are placed again elsewhere")]
    private static partial void LogSilent(ILogger logger, string dataCenterId, TimeSpan timeout);

    [LoggerMessage(Level = LogLevel.Information, Message = "Data center {DataCenterId} is back Online: agent {AgentId} synced")]
    private static partial void LogBackOnline(ILogger logger, string dataCenterId, string agentId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Data center {DataCenterId}: the lease of agent {AgentId} on job {JobId} ended (revoked: {Revoked}); the job is placed again")]
    private static partial void LogLeaseEnded(ILogger logger, string dataCenterId, string jobId, string agentId, bool revoked);
}
