using System.Security.Cryptography;
using System.Text;
using ComputeGrid.Contracts;
using ComputeGrid.Contracts.Agents;
using ComputeGrid.Contracts.Jobs;
using ComputeGrid.Contracts.Pool;
using ComputeGrid.Domain;
using ComputeGrid.Domain.Jobs;
using ComputeGrid.Domain.Placement;
using ComputeGrid.Domain.Topology;
using Microsoft.Extensions.Logging;

namespace ComputeGrid.Grains.DataCenters;

/// <summary>One agent of a data center: its credential (the hash only) and what it last reported.</summary>
[GenerateSerializer, Alias("cg.AgentRecord")]
internal sealed class AgentRecord
{
    [Id(0)] public string Name { get; set; } = string.Empty;

    [Id(1)] public string SecretSha256 { get; set; } = string.Empty;

    [Id(2)] public List<string> AllowedTenants { get; set; } = [];

    [Id(3)] public DateTimeOffset IssuedAt { get; set; }

    [Id(4)] public DateTimeOffset? RevokedAt { get; set; }

    [Id(5)] public string? InstanceId { get; set; }

    [Id(6)] public AgentCapacity? Capacity { get; set; }

    [Id(7)] public string? Version { get; set; }

    [Id(8)] public DateTimeOffset? LastSyncAt { get; set; }

    public bool Active => RevokedAt is null;
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
}

/// <summary>How a job's process ended, as recorded by its data center before the job is told.</summary>
[GenerateSerializer, Immutable, Alias("cg.EndedReport")]
internal sealed record EndedReport([property: Id(0)] AgentJobPhase Phase, [property: Id(1)] JobOutcome? Outcome, [property: Id(2)] string Detail);

/// <summary>
/// The data plane: agents sync with their data center (full state both ways, so a lost message is repaired by the next
/// sync). The data center hands out the jobs with a command placed here, records what the agents report before it
/// acknowledges and before the jobs hear of it, tells agents to kill what is no longer theirs, and marks itself Offline
/// (preempting its jobs) when all its agents stay silent past the heartbeat timeout.
/// </summary>
internal sealed partial class DataCenterGrain
{
    private const int MaxSyncItems = 10_000;
    private const int MaxNameLength = 64;
    private const int MaxTenants = 256;
    private readonly Dictionary<string, DateTimeOffset> _lastSync = new(StringComparer.Ordinal);
    private IGrainTimer? _heartbeatWatch;

    public async Task<AgentIssueResult> IssueAgentAsync(string name, IReadOnlyList<string> allowedTenants, CancellationToken cancellationToken = default)
    {
        if (!Exists)
        {
            return new AgentIssueResult(null, AdminResult.Missing(Id).Errors, true);
        }

        var errors = new List<ValidationError>();
        if (string.IsNullOrWhiteSpace(name) || name.Length > MaxNameLength || name.Any(char.IsControl))
        {
            errors.Add(new("name", $"must be 1..{MaxNameLength} printable characters"));
        }

        if (allowedTenants is null || allowedTenants.Count is 0 or > MaxTenants)
        {
            errors.Add(new("allowedTenants", $"must list 1..{MaxTenants} tenants, or '{CandidateState.AnyTenant}' for every tenant"));
        }
        else if (allowedTenants.Any(t => string.IsNullOrWhiteSpace(t) || t.Length > JobSpecRules.MaxTenantLength || t.Any(char.IsControl)))
        {
            errors.Add(new("allowedTenants", $"every tenant must be 1..{JobSpecRules.MaxTenantLength} printable characters"));
        }

        if (errors.Count > 0)
        {
            return new AgentIssueResult(null, errors, false);
        }

        var agentId = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6));
        var secret = Base64Url(RandomNumberGenerator.GetBytes(32));
        Record.Agents[agentId] = new AgentRecord
        {
            Name = name,
            SecretSha256 = Hash(secret),
            AllowedTenants = [.. allowedTenants!.Distinct(StringComparer.Ordinal)],
            IssuedAt = clock.Now,
        };
        await WriteStateAsync(cancellationToken);
        _lastSync[agentId] = clock.Now;
        StartHeartbeatWatch();
        await AnnounceAgentsAsync();
        LogAgentIssued(logger, Id, agentId, name);
        return new AgentIssueResult(new AgentCredential(agentId, Id, $"{AgentCredential.Prefix}.{Id}.{agentId}.{secret}"), [], false);
    }

    public async Task<AdminResult> RevokeAgentAsync(string agentId, CancellationToken cancellationToken = default)
    {
        if (!Exists)
        {
            return AdminResult.Missing(Id);
        }

        if (agentId is null || !Record.Agents.TryGetValue(agentId, out var agent))
        {
            return new AdminResult([new ValidationError("agentId", $"no agent '{agentId}' in data center '{Id}'")], true);
        }

        if (agent.Active)
        {
            agent.RevokedAt = clock.Now;
            await WriteStateAsync(cancellationToken);
            LogAgentRevoked(logger, Id, agentId);
            await AnnounceAgentsAsync();

            // Its jobs cannot be run by anybody here any more unless another agent takes them: those it held go elsewhere.
            foreach (var (jobId, command) in Record.Commands.Where(c => c.Value.AgentId == agentId && c.Value.Ended is null).ToList())
            {
                await GrainFactory.GetGrain<IJobGrain>(jobId).PreemptAsync(Id, $"the credential of agent {agentId} was revoked");
            }
        }

        return AdminResult.Ok;
    }

    public Task<IReadOnlyList<AgentInfo>> ListAgentsAsync(CancellationToken cancellationToken = default) =>
        Task.FromResult<IReadOnlyList<AgentInfo>>([.. Record.Agents.OrderBy(a => a.Value.IssuedAt).Select(a => new AgentInfo(
            a.Key,
            a.Value.Name,
            a.Value.AllowedTenants,
            a.Value.IssuedAt,
            a.Value.RevokedAt,
            a.Value.LastSyncAt,
            a.Value.Active && IsFresh(a.Key),
            a.Value.InstanceId,
            a.Value.Capacity,
            a.Value.Version,
            Record.Commands.Count(c => c.Value.AgentId == a.Key && c.Value.Started && c.Value.Ended is null)))]);

    public async Task<AgentSyncResult> SyncAgentAsync(string agentId, string secret, AgentSyncRequest request, CancellationToken cancellationToken = default)
    {
        if (!Exists || agentId is null || !Record.Agents.TryGetValue(agentId, out var agent) || !agent.Active || !Matches(secret, agent.SecretSha256))
        {
            return AgentSyncResult.Unauthorized;
        }

        if (ValidateSync(request) is { Count: > 0 } errors)
        {
            return new AgentSyncResult(true, null, errors);
        }

        var now = clock.Now;
        _lastSync[agentId] = now;
        var running = request.Running.ToHashSet(StringComparer.Ordinal);
        var forwards = new List<(string JobId, EndedReport Report)>();
        var started = new List<string>();
        var acknowledged = new HashSet<string>(StringComparer.Ordinal);

        if (agent.InstanceId != request.InstanceId)
        {
            // A new agent process: what the old one ran and this one does not is gone with it.
            foreach (var (jobId, command) in Record.Commands.Where(c => c.Value.AgentId == agentId && c.Value.InstanceId != request.InstanceId && c.Value.Started && c.Value.Ended is null && !running.Contains(c.Key)))
            {
                command.Ended = new EndedReport(AgentJobPhase.Lost, null, $"agent {agentId} restarted; the process was lost");
                forwards.Add((jobId, command.Ended));
            }

            agent.InstanceId = request.InstanceId;
        }

        foreach (var report in request.Reports)
        {
            acknowledged.Add(report.JobId);
            if (!Record.Commands.TryGetValue(report.JobId, out var command) || command.AgentId != agentId || command.Ended is not null)
            {
                continue;
            }

            if (report.Phase == AgentJobPhase.Started)
            {
                if (!command.Started)
                {
                    command.Started = true;
                    started.Add(report.JobId);
                }

                continue;
            }

            command.Ended = new EndedReport(report.Phase, new JobOutcome(report.ExitCode, Tail(report.OutputTail), report.TimedOut), Describe(report));
            forwards.Add((report.JobId, command.Ended));
        }

        // What this agent holds, started, and neither runs nor reported ended was lost (the agent restarted in between).
        foreach (var (jobId, command) in Record.Commands.Where(c => c.Value.AgentId == agentId && c.Value.InstanceId == request.InstanceId && c.Value.Started && c.Value.Ended is null && !running.Contains(c.Key) && !acknowledged.Contains(c.Key)))
        {
            command.Ended = new EndedReport(AgentJobPhase.Lost, null, $"agent {agentId} no longer runs the process");
            forwards.Add((jobId, command.Ended));
        }

        var start = new List<AgentAssignment>();
        foreach (var (jobId, command) in Record.Commands.Where(c => c.Value.Ended is null && !running.Contains(c.Key)))
        {
            var mine = command.AgentId == agentId && command.InstanceId == request.InstanceId && !command.Started;
            var free = command.AgentId is null || (command.AgentId != agentId && Record.Agents.TryGetValue(command.AgentId, out var holder) && !holder.Active);
            if ((mine || free) && CandidateState.RunsCommandsOf(agent.AllowedTenants, command.Tenant))
            {
                command.AgentId = agentId;
                command.InstanceId = request.InstanceId;
                start.Add(new AgentAssignment(jobId, command.Tenant, command.Command, command.WallTime));
            }
        }

        var kill = request.Running.Where(j => !Record.Commands.TryGetValue(j, out var c) || c.AgentId != agentId || c.Ended is not null).ToList();
        agent.Capacity = request.Capacity;
        agent.Version = request.Version;
        agent.LastSyncAt = now;
        var back = Record.Status == DataCenterStatus.Offline && Record.OfflineBySilence;
        if (back)
        {
            Record.Status = DataCenterStatus.Online;
            Record.OfflineBySilence = false;
        }

        // Durable before anybody hears of it: the agent forgets acknowledged reports, and the jobs act on them.
        await WriteStateAsync(cancellationToken);
        if (back)
        {
            LogBackOnline(logger, Id, agentId);
            await AnnounceAgentsAsync();
        }

        foreach (var jobId in started)
        {
            await GrainFactory.GetGrain<IJobGrain>(jobId).OnAgentReportAsync(Id, AgentJobPhase.Started, null, $"started by agent {agentId}");
        }

        foreach (var (jobId, report) in forwards)
        {
            await GrainFactory.GetGrain<IJobGrain>(jobId).OnAgentReportAsync(Id, report.Phase, report.Outcome, report.Detail);
        }

        return new AgentSyncResult(true, new AgentSyncResponse(Id, start, kill, [.. acknowledged], agentOptions.Value.SyncInterval), []);
    }

    /// <summary>Watches the agents' syncs while the data center has agents: all silent past the timeout takes it Offline.</summary>
    private void StartHeartbeatWatch()
    {
        if (_heartbeatWatch is not null || !Record.Agents.Values.Any(a => a.Active))
        {
            return;
        }

        var every = agentOptions.Value.SyncInterval;
        _heartbeatWatch = this.RegisterGrainTimer(CheckHeartbeatsAsync, new GrainTimerCreationOptions(every, every) { Interleave = false, KeepAlive = true });
    }

    private async Task CheckHeartbeatsAsync(CancellationToken cancellationToken)
    {
        var active = Record.Agents.Where(a => a.Value.Active).Select(a => a.Key).ToList();
        if (!Exists || active.Count == 0 || Record.Status == DataCenterStatus.Offline || active.Any(IsFresh))
        {
            return;
        }

        Record.Status = DataCenterStatus.Offline;
        Record.OfflineBySilence = true;
        await WriteStateAsync(cancellationToken);
        LogSilent(logger, Id, agentOptions.Value.HeartbeatTimeout);
        await AnnounceAgentsAsync();

        // Its jobs are placed again elsewhere; when an agent comes back it is told to kill what it still runs of them.
        var reason = $"data center {Id} went Offline: no agent synced for {agentOptions.Value.HeartbeatTimeout.TotalSeconds:0.#} s";
        foreach (var jobId in HeldJobs())
        {
            await GrainFactory.GetGrain<IJobGrain>(jobId).PreemptAsync(Id, reason);
        }
    }

    /// <summary>An agent synced within the heartbeat timeout (one never heard of since activation counts from then).</summary>
    private bool IsFresh(string agentId)
    {
        if (!_lastSync.TryGetValue(agentId, out var last))
        {
            last = _lastSync[agentId] = clock.Now;
        }

        return clock.Now - last <= agentOptions.Value.HeartbeatTimeout;
    }

    /// <summary>Tells the pool this data center's status and the tenants its agents run commands of.</summary>
    private Task AnnounceAgentsAsync()
    {
        var active = Record.Agents.Values.Where(a => a.Active).ToList();
        IReadOnlyList<string>? tenants = active.Count == 0 ? null : [.. active.SelectMany(a => a.AllowedTenants).Distinct(StringComparer.Ordinal)];
        return GrainFactory.GetGrain<IPoolGrain>(PoolGrainKey.National).OnDataCenterChangedAsync(Id, Record.Status, tenants);
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

    private static string Hash(string secret) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(secret)));

    private static bool Matches(string? secret, string expectedHash) =>
        secret is not null && CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(Hash(secret)), Encoding.ASCII.GetBytes(expectedHash));

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    [LoggerMessage(Level = LogLevel.Information, Message = "Data center {DataCenterId} issued a credential to agent {AgentId} ({Name})")]
    private static partial void LogAgentIssued(ILogger logger, string dataCenterId, string agentId, string name);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Data center {DataCenterId} revoked agent {AgentId}")]
    private static partial void LogAgentRevoked(ILogger logger, string dataCenterId, string agentId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Data center {DataCenterId} is Offline: no agent synced within {Timeout}; its jobs are placed again elsewhere")]
    private static partial void LogSilent(ILogger logger, string dataCenterId, TimeSpan timeout);

    [LoggerMessage(Level = LogLevel.Information, Message = "Data center {DataCenterId} is back Online: agent {AgentId} synced")]
    private static partial void LogBackOnline(ILogger logger, string dataCenterId, string agentId);
}
