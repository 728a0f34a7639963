using ComputeGrid.Domain.Jobs;

namespace ComputeGrid.Contracts.Agents;

/// <summary>
/// What an agent tells its data center on every sync (<c>POST /v1/agent/sync</c>, JSON camelCase, enums by name). The
/// sync is a full-state reconciliation, so a lost request or response is repaired by the next one.
/// </summary>
/// <param name="InstanceId">Random per agent process start: a new instance tells the data center the old one's processes are gone.</param>
/// <param name="Running">Every job the agent has a live process for right now.</param>
/// <param name="Reports">Job events not yet acknowledged, oldest first; the agent repeats each until the response acknowledges it.</param>
/// <param name="Capacity">What the agent offers (configured or measured from the machine); null to leave the data center's capacity alone.</param>
/// <param name="Version">The agent's version, for operators.</param>
[GenerateSerializer, Immutable, Alias("cg.AgentSyncRequest")]
public sealed record AgentSyncRequest(
    [property: Id(0)] string InstanceId,
    [property: Id(1)] IReadOnlyList<string> Running,
    [property: Id(2)] IReadOnlyList<AgentJobReport> Reports,
    [property: Id(3)] AgentCapacity? Capacity = null,
    [property: Id(4)] string? Version = null);

/// <summary>Capacity an agent offers.</summary>
/// <param name="CpuMillicores">CPU in millicores.</param>
/// <param name="MemoryMiB">Memory in MiB.</param>
/// <param name="Gpus">GPUs of <paramref name="GpuModel"/>.</param>
/// <param name="GpuModel">The GPU model, or null when <paramref name="Gpus"/> is 0.</param>
[GenerateSerializer, Immutable, Alias("cg.AgentCapacity")]
public sealed record AgentCapacity(
    [property: Id(0)] long CpuMillicores,
    [property: Id(1)] long MemoryMiB,
    [property: Id(2)] int Gpus = 0,
    [property: Id(3)] string? GpuModel = null);

/// <summary>What happened to a job's process.</summary>
[GenerateSerializer, Alias("cg.AgentJobPhase")]
public enum AgentJobPhase
{
    /// <summary>The process started.</summary>
    Started,

    /// <summary>The process exited by itself (with <see cref="AgentJobReport.ExitCode"/>), or was killed at its wall-time limit.</summary>
    Exited,

    /// <summary>The agent lost the process (it restarted, or the process could not be found).</summary>
    Lost,

    /// <summary>The agent refused to start it (for example its executable is missing); the job fails.</summary>
    Rejected,
}

/// <summary>One event of one job's process, as the agent saw it.</summary>
/// <param name="JobId">The job.</param>
/// <param name="Phase">What happened.</param>
/// <param name="At">When, on the agent's clock.</param>
/// <param name="ExitCode">For <see cref="AgentJobPhase.Exited"/>: the exit code (128 + signal when killed by one).</param>
/// <param name="OutputTail">For <see cref="AgentJobPhase.Exited"/>: the last bytes of stdout and stderr together, at most 4 KiB of UTF-8.</param>
/// <param name="Detail">A human-readable reason (wall-time exceeded, cancelled, executable not found, ...).</param>
/// <param name="TimedOut">For <see cref="AgentJobPhase.Exited"/>: the agent killed it at its wall-time limit.</param>
[GenerateSerializer, Immutable, Alias("cg.AgentJobReport")]
public sealed record AgentJobReport(
    [property: Id(0)] string JobId,
    [property: Id(1)] AgentJobPhase Phase,
    [property: Id(2)] DateTimeOffset At,
    [property: Id(3)] int? ExitCode = null,
    [property: Id(4)] string? OutputTail = null,
    [property: Id(5)] string? Detail = null,
    [property: Id(6)] bool TimedOut = false);

/// <summary>A job the agent must start (again, if it has no process for it: starting is idempotent by job id).</summary>
/// <param name="JobId">The job.</param>
/// <param name="Tenant">Its tenant (the agent checks it against its own allow-list too).</param>
/// <param name="Command">What to run.</param>
/// <param name="WallTime">The wall-time limit: the agent kills the process tree when it passes and reports Exited with TimedOut.</param>
[GenerateSerializer, Immutable, Alias("cg.AgentAssignment")]
public sealed record AgentAssignment(
    [property: Id(0)] string JobId,
    [property: Id(1)] string Tenant,
    [property: Id(2)] JobCommand Command,
    [property: Id(3)] TimeSpan WallTime);

/// <summary>The data center's answer to a sync.</summary>
/// <param name="DataCenterId">The data center the credential belongs to.</param>
/// <param name="Start">Jobs placed here that the agent has no process for and has not reported ended.</param>
/// <param name="Kill">Jobs the agent runs that must stop: cancelled, preempted, or not this data center's (any longer).</param>
/// <param name="Acknowledged">Job ids whose reports were durably recorded: the agent forgets those reports.</param>
/// <param name="SyncInterval">When to sync next at the latest; the data center marks itself Offline after several missed syncs.</param>
/// <param name="Lease">
/// How long this sync renews the lease on the agent's jobs, counted from when the agent sent the request. An agent that
/// cannot renew it (its credential refused, the gateway unreachable) must have stopped its jobs before it ends: the data
/// center places them elsewhere only once it has. Null from a data center without leases.
/// </param>
[GenerateSerializer, Immutable, Alias("cg.AgentSyncResponse")]
public sealed record AgentSyncResponse(
    [property: Id(0)] string DataCenterId,
    [property: Id(1)] IReadOnlyList<AgentAssignment> Start,
    [property: Id(2)] IReadOnlyList<string> Kill,
    [property: Id(3)] IReadOnlyList<string> Acknowledged,
    [property: Id(4)] TimeSpan SyncInterval,
    [property: Id(5)] TimeSpan? Lease = null);

/// <summary>A new agent credential, shown once: only its hash is kept.</summary>
/// <param name="AgentId">The agent's id within its data center.</param>
/// <param name="DataCenterId">The data center it may act for.</param>
/// <param name="Token">The bearer token the agent presents: <c>cga.{dataCenterId}.{agentId}.{secret}</c>.</param>
[GenerateSerializer, Immutable, Alias("cg.AgentCredential")]
public sealed record AgentCredential([property: Id(0)] string AgentId, [property: Id(1)] string DataCenterId, [property: Id(2)] string Token)
{
    /// <summary>The token's prefix.</summary>
    public const string Prefix = "cga";

    /// <summary>Splits a token into data center, agent and secret; false when it is not an agent token.</summary>
    public static bool TryParse(string? token, out string dataCenterId, out string agentId, out string secret)
    {
        dataCenterId = agentId = secret = string.Empty;
        var parts = token?.Split('.') ?? [];
        if (parts.Length != 4 || parts[0] != Prefix || parts.Skip(1).Any(string.IsNullOrWhiteSpace) || token!.Length > 512)
        {
            return false;
        }

        (dataCenterId, agentId, secret) = (parts[1], parts[2], parts[3]);
        return true;
    }
}

/// <summary>An agent as operators see it.</summary>
/// <param name="AgentId">Its id.</param>
/// <param name="Name">The operator's name for it.</param>
/// <param name="AllowedTenants">Tenants whose commands it runs; <c>*</c> for every tenant.</param>
/// <param name="IssuedAt">When its credential was issued.</param>
/// <param name="RevokedAt">When its credential was revoked, if it was.</param>
/// <param name="LastSyncAt">Its last sync; null until its first.</param>
/// <param name="Online">Not revoked, and synced within the heartbeat timeout; false until its first sync.</param>
/// <param name="InstanceId">The agent process instance of the last sync.</param>
/// <param name="Capacity">The capacity it reported.</param>
/// <param name="Version">The version it reported.</param>
/// <param name="Running">Jobs it runs now.</param>
[GenerateSerializer, Immutable, Alias("cg.AgentInfo")]
public sealed record AgentInfo(
    [property: Id(0)] string AgentId,
    [property: Id(1)] string Name,
    [property: Id(2)] IReadOnlyList<string> AllowedTenants,
    [property: Id(3)] DateTimeOffset IssuedAt,
    [property: Id(4)] DateTimeOffset? RevokedAt,
    [property: Id(5)] DateTimeOffset? LastSyncAt,
    [property: Id(6)] bool Online,
    [property: Id(7)] string? InstanceId,
    [property: Id(8)] AgentCapacity? Capacity,
    [property: Id(9)] string? Version,
    [property: Id(10)] int Running);

/// <summary>An agent's credential as its data center knows it (the secret's hash stays with the credential grain).</summary>
/// <param name="AgentId">Its id within the data center.</param>
/// <param name="Name">The operators' name for it.</param>
/// <param name="AllowedTenants">Tenants whose commands it runs; <c>*</c> for every tenant.</param>
/// <param name="IssuedAt">When it was issued.</param>
/// <param name="RevokedAt">When it was revoked, if it was.</param>
[GenerateSerializer, Immutable, Alias("cg.AgentGrant")]
public sealed record AgentGrant(
    [property: Id(0)] string AgentId,
    [property: Id(1)] string Name,
    [property: Id(2)] IReadOnlyList<string> AllowedTenants,
    [property: Id(3)] DateTimeOffset IssuedAt,
    [property: Id(4)] DateTimeOffset? RevokedAt)
{
    /// <summary>Not revoked.</summary>
    public bool Active => RevokedAt is null;
}

/// <summary>The answer to a sync: refused (unknown or revoked credential, or a bad request), or the data center's response.</summary>
[GenerateSerializer, Immutable, Alias("cg.AgentSyncResult")]
public sealed record AgentSyncResult(
    [property: Id(0)] bool Authorized,
    [property: Id(1)] AgentSyncResponse? Response,
    [property: Id(2)] IReadOnlyList<Domain.ValidationError> Errors)
{
    /// <summary>The credential is unknown or revoked.</summary>
    public static AgentSyncResult Unauthorized { get; } = new(false, null, []);
}

/// <summary>The answer to issuing an agent credential: the credential, or the errors (then nothing changed).</summary>
[GenerateSerializer, Immutable, Alias("cg.AgentIssueResult")]
public sealed record AgentIssueResult(
    [property: Id(0)] AgentCredential? Credential,
    [property: Id(1)] IReadOnlyList<Domain.ValidationError> Errors,
    [property: Id(2)] bool NotFound);
