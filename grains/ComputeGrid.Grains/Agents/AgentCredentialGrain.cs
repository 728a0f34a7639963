using System.Security.Cryptography;
using System.Text;
using ComputeGrid.Contracts;
using ComputeGrid.Contracts.Agents;
using ComputeGrid.Contracts.Pool;
using ComputeGrid.Domain;
using ComputeGrid.Domain.Jobs;
using ComputeGrid.Domain.Placement;
using ComputeGrid.Grains.Hosting;
using Microsoft.Extensions.Logging;

namespace ComputeGrid.Grains.Agents;

/// <summary>One agent credential: the hash of its secret and what it grants.</summary>
[GenerateSerializer, Alias("cg.AgentCredentialRecord")]
internal sealed class AgentCredentialRecord
{
    [Id(0)] public string Name { get; set; } = string.Empty;

    [Id(1)] public string SecretSha256 { get; set; } = string.Empty;

    [Id(2)] public List<string> AllowedTenants { get; set; } = [];

    [Id(3)] public DateTimeOffset IssuedAt { get; set; }

    [Id(4)] public DateTimeOffset? RevokedAt { get; set; }
}

/// <summary>The persisted credentials of one data center's agents, by agent id.</summary>
[GenerateSerializer, Alias("cg.AgentCredentialsRecord")]
internal sealed class AgentCredentialsRecord
{
    [Id(0)] public Dictionary<string, AgentCredentialRecord> Agents { get; set; } = new(StringComparer.Ordinal);
}

/// <summary>
/// The one owner of a data center's agent credentials (key: data-center id). Issues them (the secret is shown once, its
/// SHA-256 hash kept), revokes them and authenticates syncs; after every change it hands the whole list (without hashes)
/// to the data center's <see cref="AgentGrain"/>, whose copy is a cache.
/// </summary>
internal sealed partial class AgentCredentialGrain(
    [PersistentState("agent-credentials", GridStorage.Name)] IPersistentState<AgentCredentialsRecord> state,
    GridClock clock,
    ILogger<AgentCredentialGrain> logger) : Grain, IAgentCredentialGrain
{
    private const int MaxNameLength = 64;
    private const int MaxTenants = 256;

    private string Id => this.GetPrimaryKeyString();

    private Dictionary<string, AgentCredentialRecord> Agents => state.State.Agents;

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        // A data center's record from before credentials had a grain of their own held their hashes: adopt every one not
        // known here, revoked ones as revoked, so an upgrade neither loses a credential nor revives a revoked one.
        var stored = await DataCenters.DataCenterRecord.ReadStoredAsync(ServiceProvider, GrainFactory, Id);
        var legacy = (stored?.LegacyAgents ?? []).Where(a => a.Value.SecretSha256 is { Length: > 0 } && !Agents.ContainsKey(a.Key)).ToList();
        if (legacy.Count == 0)
        {
            return;
        }

        foreach (var (agentId, agent) in legacy)
        {
            Agents[agentId] = new AgentCredentialRecord
            {
                Name = agent.Name,
                SecretSha256 = agent.SecretSha256!,
                AllowedTenants = [.. agent.AllowedTenants],
                IssuedAt = agent.IssuedAt,
                RevokedAt = agent.RevokedAt,
            };
        }

        await state.WriteStateAsync(cancellationToken);
        LogAdopted(logger, Id, legacy.Count);
    }

    public async Task<AgentIssueResult> IssueAsync(string name, IReadOnlyList<string> allowedTenants, CancellationToken cancellationToken = default)
    {
        if (!await DataCenterExistsAsync(cancellationToken))
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
        Agents[agentId] = new AgentCredentialRecord
        {
            Name = name,
            SecretSha256 = Hash(secret),
            AllowedTenants = [.. allowedTenants!.Distinct(StringComparer.Ordinal)],
            IssuedAt = clock.Now,
        };
        await state.WriteStateAsync(cancellationToken);
        await TellAgentsAsync(cancellationToken);
        LogIssued(logger, Id, agentId, name);
        return new AgentIssueResult(new AgentCredential(agentId, Id, $"{AgentCredential.Prefix}.{Id}.{agentId}.{secret}"), [], false);
    }

    public async Task<AdminResult> RevokeAsync(string agentId, CancellationToken cancellationToken = default)
    {
        if (agentId is null || !Agents.TryGetValue(agentId, out var agent))
        {
            return await DataCenterExistsAsync(cancellationToken)
                ? new AdminResult([new ValidationError("agentId", $"no agent '{agentId}' in data center '{Id}'")], true)
                : AdminResult.Missing(Id);
        }

        if (agent.RevokedAt is null)
        {
            agent.RevokedAt = clock.Now;
            await state.WriteStateAsync(cancellationToken);
            LogRevoked(logger, Id, agentId);
        }

        // Told again on a repeated revocation too: a call to the data center cut short the first time is made good.
        await TellAgentsAsync(cancellationToken);
        return AdminResult.Ok;
    }

    public Task<AgentGrant?> AuthenticateAsync(string agentId, string secret, CancellationToken cancellationToken = default) =>
        Task.FromResult(agentId is not null && Agents.TryGetValue(agentId, out var agent) && agent.RevokedAt is null && Matches(secret, agent.SecretSha256)
            ? Grant(agentId, agent)
            : null);

    public Task<IReadOnlyList<AgentGrant>> ListAsync(CancellationToken cancellationToken = default) =>
        Task.FromResult<IReadOnlyList<AgentGrant>>([.. Agents.Select(a => Grant(a.Key, a.Value))]);

    private Task TellAgentsAsync(CancellationToken cancellationToken) =>
        GrainFactory.GetGrain<IAgentGrain>(Id).OnAgentsChangedAsync([.. Agents.Select(a => Grant(a.Key, a.Value))], cancellationToken);

    /// <summary>Asks the pool's directory (always active), so a made-up id activates no data center.</summary>
    private async Task<bool> DataCenterExistsAsync(CancellationToken cancellationToken) =>
        (await GrainFactory.GetGrain<IPoolGrain>(PoolGrainKey.National).GetDirectoryAsync(cancellationToken)).DataCenters.Any(d => d.Spec.Id == Id);

    private static AgentGrant Grant(string agentId, AgentCredentialRecord agent) =>
        new(agentId, agent.Name, agent.AllowedTenants, agent.IssuedAt, agent.RevokedAt);

    private static string Hash(string secret) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(secret)));

    private static bool Matches(string? secret, string expectedHash) =>
        secret is not null && CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(Hash(secret)), Encoding.ASCII.GetBytes(expectedHash));

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    [LoggerMessage(Level = LogLevel.Information, Message = "Data center {DataCenterId} issued a credential to agent {AgentId} ({Name})")]
    private static partial void LogIssued(ILogger logger, string dataCenterId, string agentId, string name);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Data center {DataCenterId}: adopted {Count} agent credentials from its record as an earlier version wrote it")]
    private static partial void LogAdopted(ILogger logger, string dataCenterId, int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Data center {DataCenterId} revoked agent {AgentId}")]
    private static partial void LogRevoked(ILogger logger, string dataCenterId, string agentId);
}
