using ComputeGrid.Contracts.Agents;
using ComputeGrid.Contracts.Jobs;
using ComputeGrid.Domain.Agents;
using ComputeGrid.Domain.Jobs;

namespace ComputeGrid.Grains.Agents;

/// <summary>The persisted state of one data center's agents (<see cref="AgentGrain"/>).</summary>
[GenerateSerializer, Alias("cg.AgentsRecord")]
internal sealed class AgentsRecord
{
    /// <summary>Its agents (a cache of their credentials, kept by the credential grain) and what they reported, by agent id.</summary>
    [Id(0)] public Dictionary<string, AgentRecord> Agents { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Jobs with a command placed at the data center, by job id, until they release their capacity.</summary>
    [Id(1)] public Dictionary<string, CommandRecord> Commands { get; set; } = new(StringComparer.Ordinal);
}

/// <summary>
/// One agent of a data center: its credential as the credential grain last told (a cache) and what it last reported.
/// The same type (alias) as when it lived in the data center's record, which an upgrade reads once.
/// </summary>
[GenerateSerializer, Alias("cg.AgentRecord")]
internal sealed class AgentRecord
{
    [Id(0)] public string Name { get; set; } = string.Empty;

    /// <summary>
    /// The secret's hash, only in a data center's record written before credentials had a grain of their own: read once by
    /// <see cref="AgentCredentialGrain"/> when it adopts them; never written since.
    /// </summary>
    [Id(1)] public string? SecretSha256 { get; set; }

    [Id(2)] public List<string> AllowedTenants { get; set; } = [];

    [Id(3)] public DateTimeOffset IssuedAt { get; set; }

    [Id(4)] public DateTimeOffset? RevokedAt { get; set; }

    [Id(5)] public string? InstanceId { get; set; }

    [Id(6)] public AgentCapacity? Capacity { get; set; }

    [Id(7)] public string? Version { get; set; }

    /// <summary>Its last sync, which renewed its lease; null until its first.</summary>
    [Id(8)] public DateTimeOffset? LastSyncAt { get; set; }

    public bool Active => RevokedAt is null;

    public AgentView View(string agentId) => new(agentId, Active, LastSyncAt, AllowedTenants);
}

/// <summary>A job with a command placed at the data center: which agent (process instance) runs it, and how it ended.</summary>
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

    /// <summary>Takes what a decision says of this command (its end is recorded apart, with the report).</summary>
    public void Apply(CommandView view)
    {
        AgentId = view.AgentId;
        InstanceId = view.InstanceId;
        Started = view.Started;
        Released = view.Released;
    }
}

/// <summary>How a job's process ended, as recorded by the agent grain before the job is told.</summary>
[GenerateSerializer, Immutable, Alias("cg.EndedReport")]
internal sealed record EndedReport([property: Id(0)] AgentJobPhase Phase, [property: Id(1)] JobOutcome? Outcome, [property: Id(2)] string Detail);
