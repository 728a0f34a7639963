using ComputeGrid.Contracts;
using ComputeGrid.Contracts.Agents;
using ComputeGrid.Domain.Agents;
using ComputeGrid.Domain.Jobs;
using ComputeGrid.Domain.Topology;
using ComputeGrid.Grains.DataCenters;
using ComputeGrid.Grains.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ComputeGrid.Grains.Agents;

/// <summary>
/// The data plane of one data center (key: data-center id), a thin shell over <see cref="AgentSync"/>: agents sync here
/// (full state both ways, so a lost message is repaired by the next sync). Each sync renews the agent's lease on its jobs;
/// a job whose agent did not renew in time is preempted only once the lease has ended, by when the agent has stopped it.
/// When every agent that serves the data center stays silent past the heartbeat timeout, the data center is told and goes
/// Offline, and its jobs are preempted; one that awaits its first agent stays as it is and runs no commands yet. The data
/// center keeps only its capacity: it hands command jobs here and tells each release before it lets the capacity go.
/// </summary>
[Placement.ZonePlacement]
internal sealed partial class AgentGrain(
    [PersistentState("agents", GridStorage.Name)] IPersistentState<AgentsRecord> state,
    GridClock clock,
    IOptions<AgentOptions> agentOptions,
    IOptions<ComputeGridOptions> gridOptions,
    ILogger<AgentGrain> logger) : Grain, IAgentGrain, IRemindable
{
    private const string WakeReminder = "wake";
    private readonly Dictionary<string, DateTimeOffset> _lastSync = new(StringComparer.Ordinal);
    private IGrainTimer? _watch;
    private (DataCenterStatus Status, IReadOnlyList<string>? Tenants)? _announced;
    private bool _silent;

    private string Id => this.GetPrimaryKeyString();

    private AgentsRecord Record => state.State;

    private AgentOptions Options => agentOptions.Value;

    private IDataCenterGrain DataCenter => GrainFactory.GetGrain<IDataCenterGrain>(Id);

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        var adopted = !state.RecordExists && await AdoptLegacyAsync();

        // The credential grain owns the credentials: this copy is refreshed from it, so a change it could not push is made good.
        if ((state.RecordExists || adopted) && (Merge(await GrainFactory.GetGrain<IAgentCredentialGrain>(Id).ListAsync(cancellationToken)) || adopted))
        {
            await WriteAsync(cancellationToken);
        }

        await WatchAsync(cancellationToken);
    }

    public Task ReceiveReminder(string reminderName, TickStatus status) => Task.CompletedTask;

    public async Task OnAgentsChangedAsync(IReadOnlyList<AgentGrant> agents, CancellationToken cancellationToken = default)
    {
        Merge(agents);
        await WriteAsync(cancellationToken);
        var status = await DataCenter.OnAgentsAsync(heard: false, cancellationToken);
        await WatchAsync(cancellationToken);
        await AnnounceAsync(status);
    }

    public Task<IReadOnlyList<AgentInfo>> ListAsync(CancellationToken cancellationToken = default) =>
        Task.FromResult<IReadOnlyList<AgentInfo>>([.. Record.Agents.OrderBy(a => a.Value.IssuedAt).Select(a => new AgentInfo(
            a.Key,
            a.Value.Name,
            a.Value.AllowedTenants,
            a.Value.IssuedAt,
            a.Value.RevokedAt,
            a.Value.LastSyncAt,
            a.Value.View(a.Key).Serving && IsFresh(a.Key),
            a.Value.InstanceId,
            a.Value.Capacity,
            a.Value.Version,
            Record.Commands.Count(c => c.Value.AgentId == a.Key && c.Value.Started && c.Value.Ended is null && !c.Value.Released)))]);

    public async Task<AgentSyncResult> SyncAsync(AgentGrant grant, AgentSyncRequest request, CancellationToken cancellationToken = default)
    {
        if (grant is null || !grant.Active)
        {
            return AgentSyncResult.Unauthorized;
        }

        if (SyncRequests.Validate(request) is { Count: > 0 } errors)
        {
            return new AgentSyncResult(true, null, errors);
        }

        // A sign of life: the data center comes back Online if silence took it Offline.
        if (await DataCenter.OnAgentsAsync(heard: true, cancellationToken) is not { } status)
        {
            return AgentSyncResult.Unauthorized;
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
        _silent = false;
        var reports = request.Reports;
        var decision = AgentSync.Reconcile(
            Commands(),
            new SyncingAgent(grant.AgentId, request.InstanceId, agent.InstanceId, agent.AllowedTenants),
            request.Running,
            SyncRequests.Views(reports),
            holder => !Record.Agents.TryGetValue(holder, out var h) || (!h.Active && LeaseExpired(h, now)));

        var forwards = decision.Ended.Select(e => (e.JobId, Report: SyncRequests.Ended(reports[e.Report])))
            .Concat(decision.Lost.Select(l => (l.JobId, Report: new EndedReport(AgentJobPhase.Lost, null, l.Detail))))
            .ToList();
        Apply(decision.Commands);
        foreach (var (jobId, report) in forwards)
        {
            if (Record.Commands.TryGetValue(jobId, out var command))
            {
                command.Ended = report;
            }
        }

        agent.InstanceId = request.InstanceId;
        agent.Capacity = request.Capacity;
        agent.Version = request.Version;
        agent.LastSyncAt = now;

        // Durable before anybody hears of it: the agent forgets acknowledged reports and renews its lease, the jobs act on them.
        await WriteAsync(cancellationToken);
        if (first)
        {
            // Its first sync makes the data center run this agent's tenants' commands, and watched.
            await WatchAsync(cancellationToken);
        }

        await AnnounceAsync(status);
        foreach (var jobId in decision.Started)
        {
            await GrainFactory.GetGrain<IJobGrain>(jobId).OnAgentReportAsync(Id, AgentJobPhase.Started, null, $"started by agent {grant.AgentId}");
        }

        foreach (var (jobId, report) in forwards)
        {
            await GrainFactory.GetGrain<IJobGrain>(jobId).OnAgentReportAsync(Id, report.Phase, report.Outcome, report.Detail);
        }

        var start = decision.Start.Select(j => (Id: j, Command: Record.Commands[j])).Select(a => new AgentAssignment(a.Id, a.Command.Tenant, a.Command.Command, a.Command.WallTime)).ToList();
        return new AgentSyncResult(true, new AgentSyncResponse(Id, start, decision.Kill, decision.Acknowledged, Options.SyncInterval, Options.Lease), []);
    }

    public async Task AssignAsync(string jobId, string tenant, JobCommand command, TimeSpan wallTime, CancellationToken cancellationToken = default)
    {
        Record.Commands.TryGetValue(jobId, out var known);
        if (AgentSync.Assigns(known?.View))
        {
            // An agent starts it at its next sync; the record is durable so that it does, whatever restarts between.
            Record.Commands[jobId] = new CommandRecord { Tenant = tenant, Command = command, WallTime = wallTime };
            await WriteAsync(cancellationToken);
        }
        else if (known!.Ended is { } report)
        {
            // Recorded here, but the job may not have heard (the one-way forward was lost): tell it again.
            await GrainFactory.GetGrain<IJobGrain>(jobId).OnAgentReportAsync(Id, report.Phase, report.Outcome, report.Detail);
        }
    }

    public async Task ReleaseAsync(string jobId, CancellationToken cancellationToken = default)
    {
        if (!Record.Commands.TryGetValue(jobId, out var command) || command.Released)
        {
            return;
        }

        if (AgentSync.Release(command.View) is { } released)
        {
            command.Apply(released);
        }
        else
        {
            Record.Commands.Remove(jobId);
        }

        await WriteAsync(cancellationToken);
    }

    /// <summary>Takes a data center's agents and commands from its record as an earlier version wrote it; true when it held any.</summary>
    private async Task<bool> AdoptLegacyAsync()
    {
        if (await DataCenterRecord.ReadStoredAsync(ServiceProvider, GrainFactory, Id) is not { HoldsLegacyAgents: true } legacy)
        {
            return false;
        }

        foreach (var (agentId, agent) in legacy.LegacyAgents ?? [])
        {
            // The hash is the credential grain's to adopt; it is never kept here.
            agent.SecretSha256 = null;
            Record.Agents[agentId] = agent;
        }

        foreach (var (jobId, command) in legacy.LegacyCommands ?? [])
        {
            Record.Commands[jobId] = command;
        }

        LogAdopted(logger, Id, Record.Agents.Count, Record.Commands.Count);
        return true;
    }

    /// <summary>Makes the cached credentials what the credential grain says; true when anything changed.</summary>
    private bool Merge(IReadOnlyList<AgentGrant> grants)
    {
        var changed = false;
        foreach (var grant in grants)
        {
            if (!Record.Agents.TryGetValue(grant.AgentId, out var agent))
            {
                agent = Record.Agents[grant.AgentId] = new AgentRecord();
            }

            changed |= agent.Name != grant.Name || agent.IssuedAt != grant.IssuedAt || agent.RevokedAt != grant.RevokedAt || !agent.AllowedTenants.SequenceEqual(grant.AllowedTenants);
            agent.Name = grant.Name;
            agent.AllowedTenants = [.. grant.AllowedTenants];
            agent.IssuedAt = grant.IssuedAt;
            agent.RevokedAt = grant.RevokedAt;
        }

        return changed;
    }

    /// <summary>Makes the commands what a decision says; a command dropped from it is removed.</summary>
    private void Apply(IReadOnlyDictionary<string, CommandView> commands)
    {
        foreach (var jobId in Record.Commands.Keys.Where(k => !commands.ContainsKey(k)).ToList())
        {
            Record.Commands.Remove(jobId);
        }

        foreach (var (jobId, view) in commands)
        {
            Record.Commands[jobId].Apply(view);
        }
    }

    /// <summary>
    /// Watches the agents every sync interval while the data center has any (heartbeats, then leases), and keeps a reminder
    /// that wakes this grain after a restart of the whole cluster, so a silence then is noticed without waiting for a call.
    /// </summary>
    private async Task WatchAsync(CancellationToken cancellationToken)
    {
        if (_watch is not null || Record.Agents.Count == 0)
        {
            return;
        }

        var every = Options.SyncInterval;
        _watch = this.RegisterGrainTimer(CheckAsync, new GrainTimerCreationOptions(every, every) { Interleave = false, KeepAlive = true });
        var wake = gridOptions.Value.WakeReminderPeriod;
        await this.RegisterOrUpdateReminder(WakeReminder, wake, wake, cancellationToken);
    }

    private async Task CheckAsync(CancellationToken cancellationToken)
    {
        await CheckHeartbeatsAsync(cancellationToken);
        await CheckLeasesAsync(cancellationToken);
    }

    /// <summary>
    /// Every agent that serves the data center is silent past the heartbeat timeout: the data center goes Offline and its
    /// jobs are preempted (placed again elsewhere), except those an agent still holds a lease on (revoked a moment ago,
    /// say), which wait for the lease to end. Asked again on every check while the silence lasts, so a lost preemption is
    /// repeated; when an agent comes back it is told to kill what it still runs of them.
    /// </summary>
    private async Task CheckHeartbeatsAsync(CancellationToken cancellationToken)
    {
        if (!AgentSync.Silent(Record.Agents.Select(a => a.Value.View(a.Key)), IsFresh))
        {
            _silent = false;
            return;
        }

        if (await DataCenter.OnAgentsSilentAsync(cancellationToken) is not { } held)
        {
            return;
        }

        if (!_silent)
        {
            _silent = true;
            LogSilent(logger, Id, Options.HeartbeatTimeout);
            await AnnounceAsync(DataCenterStatus.Offline);
        }

        var now = clock.Now;
        var leased = AgentSync.Leased(Commands(), holder => !Record.Agents.TryGetValue(holder, out var agent) || LeaseExpired(agent, now));
        var reason = $"data center {Id} went Offline: no agent synced for {Options.HeartbeatTimeout.TotalSeconds:0.#} s";
        foreach (var jobId in held.Where(j => !leased.Contains(j)))
        {
            await GrainFactory.GetGrain<IJobGrain>(jobId).PreemptAsync(Id, reason);
        }
    }

    /// <summary>Preempts the jobs of agents whose lease has ended (revoked, or silent); forgets their released commands.</summary>
    private async Task CheckLeasesAsync(CancellationToken cancellationToken)
    {
        var now = clock.Now;
        var decision = AgentSync.ExpireLeases(Commands(), holder => !Record.Agents.TryGetValue(holder, out var agent) || LeaseExpired(agent, now));
        if (decision.Preempt.Count == 0 && decision.Commands.Count == Record.Commands.Count)
        {
            return;
        }

        var holders = decision.Preempt.ToDictionary(j => j, j => Record.Commands[j].AgentId!, StringComparer.Ordinal);
        Apply(decision.Commands);
        foreach (var jobId in decision.Preempt)
        {
            Record.Commands[jobId].Released = true;
        }

        await WriteAsync(cancellationToken);
        foreach (var (jobId, holder) in holders)
        {
            var revoked = Record.Agents.TryGetValue(holder, out var agent) && !agent.Active;
            LogLeaseEnded(logger, Id, jobId, holder, revoked);
            var reason = revoked
                ? $"the credential of agent {holder} was revoked and its lease on the job ended"
                : $"agent {holder} did not renew its lease on the job within {Options.Lease.TotalSeconds:0.#} s";
            await GrainFactory.GetGrain<IJobGrain>(jobId).PreemptAsync(Id, reason);
        }
    }

    /// <summary>
    /// Tells the pool the data center's status and the tenants whose commands its agents run, when either changed since
    /// this activation last told it (the pool ignores a repeat too).
    /// </summary>
    private Task AnnounceAsync(DataCenterStatus? status)
    {
        if (status is not { } now)
        {
            return Task.CompletedTask;
        }

        var tenants = AgentSync.CommandTenants(Record.Agents.Select(a => a.Value.View(a.Key)));
        if (_announced is { } last && last.Status == now && (last.Tenants ?? []).SequenceEqual(tenants ?? []) && (last.Tenants is null) == (tenants is null))
        {
            return Task.CompletedTask;
        }

        _announced = (now, tenants);
        return GrainFactory.GetGrain<IPoolGrain>(PoolGrainKey.National).OnDataCenterChangedAsync(Id, now, tenants);
    }

    private Dictionary<string, CommandView> Commands() => Record.Commands.ToDictionary(c => c.Key, c => c.Value.View, StringComparer.Ordinal);

    private bool LeaseExpired(AgentRecord agent, DateTimeOffset now) => AgentSync.LeaseExpired(agent.LastSyncAt, now, Options.Lease);

    /// <summary>An agent synced within the heartbeat timeout (one never heard of since activation counts from then).</summary>
    private bool IsFresh(string agentId)
    {
        if (!_lastSync.TryGetValue(agentId, out var last))
        {
            last = _lastSync[agentId] = clock.Now;
        }

        return clock.Now - last <= Options.HeartbeatTimeout;
    }

    /// <summary>Writes the state; a failed write lets the activation go, so the next one starts from what storage holds.</summary>
    private async Task WriteAsync(CancellationToken cancellationToken)
    {
        try
        {
            await state.WriteStateAsync(cancellationToken);
        }
        catch
        {
            this.DeactivateOnIdle();
            throw;
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Data center {DataCenterId} is Offline: no agent synced within {Timeout}; its jobs are placed again elsewhere")]
    private static partial void LogSilent(ILogger logger, string dataCenterId, TimeSpan timeout);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Data center {DataCenterId}: the lease of agent {AgentId} on job {JobId} ended (revoked: {Revoked}); the job is placed again")]
    private static partial void LogLeaseEnded(ILogger logger, string dataCenterId, string jobId, string agentId, bool revoked);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Data center {DataCenterId}: adopted {Agents} agents and {Commands} commands from its record as an earlier version wrote it")]
    private static partial void LogAdopted(ILogger logger, string dataCenterId, int agents, int commands);
}
