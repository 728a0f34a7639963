using ComputeGrid.Contracts.Security;
using ComputeGrid.Domain;
using ComputeGrid.Domain.Security;
using ComputeGrid.Grains.Hosting;
using ComputeGrid.Grains.Persistence;

namespace ComputeGrid.Grains.Security;

/// <summary>One issued key as stored: its hash, never its secret.</summary>
[GenerateSerializer, Alias("cg.ApiKeyRecord")]
internal sealed class ApiKeyRecord
{
    [Id(0)] public string KeyId { get; set; } = string.Empty;

    [Id(1)] public string Tenant { get; set; } = string.Empty;

    [Id(2)] public string Name { get; set; } = string.Empty;

    [Id(3)] public string Sha256 { get; set; } = string.Empty;

    [Id(4)] public bool AllowCommands { get; set; }

    [Id(5)] public DateTimeOffset CreatedAt { get; set; }

    [Id(6)] public DateTimeOffset ExpiresAt { get; set; }

    [Id(7)] public DateTimeOffset? RevokedAt { get; set; }

    [Id(8)] public string? ReplacedBy { get; set; }

    public ApiKeyInfo ToInfo(DateTimeOffset now) =>
        new(KeyId, Tenant, Name, AllowCommands, CreatedAt, ExpiresAt, RevokedAt, ReplacedBy, ApiKeyRules.StateAt(now, ExpiresAt, RevokedAt));
}

/// <summary>
/// The issued API keys of every tenant, by key id, in a <see cref="ShardedMap{TValue}"/> (a change writes one shard), with
/// an in-memory index by hash for authentication. Time is the federation clock.
/// </summary>
internal sealed class ApiKeyDirectoryGrain(IGrainContext grainContext, IPersistentStateFactory stateFactory, GridClock clock) : Grain, IApiKeyDirectoryGrain
{
    private const int Shards = 16;
    private readonly ShardedMap<ApiKeyRecord> _keys = new(grainContext, stateFactory, "api-keys", GridStorage.Name, Shards);
    private readonly Dictionary<string, string> _byHash = new(StringComparer.Ordinal);

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        foreach (var key in _keys.Values)
        {
            _byHash[key.Sha256] = key.KeyId;
        }

        return Task.CompletedTask;
    }

    public async Task<ApiKeyResult> IssueAsync(string tenant, string name, bool allowCommands, int expiresInDays, CancellationToken cancellationToken = default)
    {
        var errors = ApiKeyRules.Validate(tenant, name ?? string.Empty, expiresInDays);
        if (errors.Count > 0)
        {
            return new ApiKeyResult(errors);
        }

        var issued = Add(tenant, name!, allowCommands, TimeSpan.FromDays(expiresInDays));
        await CommitAsync(cancellationToken);
        return new ApiKeyResult([], Issued: issued);
    }

    public Task<IReadOnlyList<ApiKeyInfo>> ListAsync(string tenant, CancellationToken cancellationToken = default)
    {
        var now = clock.Now;
        IReadOnlyList<ApiKeyInfo> keys = [.. _keys.Values.Where(k => k.Tenant == tenant).OrderByDescending(k => k.CreatedAt).ThenBy(k => k.KeyId, StringComparer.Ordinal).Select(k => k.ToInfo(now))];
        return Task.FromResult(keys);
    }

    public async Task<ApiKeyResult> RotateAsync(string tenant, string keyId, TimeSpan grace, int? expiresInDays, CancellationToken cancellationToken = default)
    {
        var errors = ApiKeyRules.Validate(tenant, name: null, expiresInDays, (int)Math.Min(int.MaxValue, grace.TotalSeconds));
        if (errors.Count > 0)
        {
            return new ApiKeyResult(errors);
        }

        if (Find(tenant, keyId) is not { } old)
        {
            return NotFound(tenant, keyId);
        }

        var now = clock.Now;
        if (ApiKeyRules.StateAt(now, old.ExpiresAt, old.RevokedAt) != ApiKeyState.Active || old.ReplacedBy is not null)
        {
            return new ApiKeyResult([new ValidationError("keyId", $"key '{keyId}' is {(old.ReplacedBy is null ? ApiKeyRules.StateAt(now, old.ExpiresAt, old.RevokedAt).ToString().ToLowerInvariant() : $"already rotated (replaced by {old.ReplacedBy})")}; issue a new key instead")]);
        }

        var lifetime = expiresInDays is { } days ? TimeSpan.FromDays(days) : old.ExpiresAt - old.CreatedAt;
        var issued = Add(tenant, old.Name, old.AllowCommands, lifetime);
        old.ReplacedBy = issued.Key.KeyId;
        old.RevokedAt = now + grace < old.ExpiresAt ? now + grace : old.ExpiresAt;
        _keys[old.KeyId] = old;
        await CommitAsync(cancellationToken);
        return new ApiKeyResult([], Issued: issued, Key: old.ToInfo(now));
    }

    public async Task<ApiKeyResult> RevokeAsync(string tenant, string keyId, CancellationToken cancellationToken = default)
    {
        if (Find(tenant, keyId) is not { } key)
        {
            return NotFound(tenant, keyId);
        }

        var now = clock.Now;
        if (key.RevokedAt is null || key.RevokedAt > now)
        {
            key.RevokedAt = now;
            _keys[key.KeyId] = key;
            await CommitAsync(cancellationToken);
        }

        return new ApiKeyResult([], Key: key.ToInfo(now));
    }

    public Task<ApiKeyMatch?> FindAsync(string sha256, CancellationToken cancellationToken = default)
    {
        var now = clock.Now;
        ApiKeyMatch? match = _byHash.TryGetValue(sha256 ?? string.Empty, out var keyId)
            && _keys.TryGetValue(keyId, out var key)
            && ApiKeyRules.StateAt(now, key.ExpiresAt, key.RevokedAt) == ApiKeyState.Active
                ? new ApiKeyMatch(key.ToInfo(now), ApiKeyRules.RemainingAt(now, key.ExpiresAt, key.RevokedAt))
                : null;
        return Task.FromResult(match);
    }

    /// <summary>Writes the changed shards; a failed write leaves memory ahead of storage, so the activation is dropped and reloads.</summary>
    private async Task CommitAsync(CancellationToken cancellationToken)
    {
        try
        {
            await _keys.WriteChangesAsync(cancellationToken);
        }
        catch
        {
            DeactivateOnIdle();
            throw;
        }
    }

    private IssuedApiKey Add(string tenant, string name, bool allowCommands, TimeSpan lifetime)
    {
        var now = clock.Now;
        var keyId = ApiKeyRules.NewKeyId();
        while (_keys.ContainsKey(keyId))
        {
            keyId = ApiKeyRules.NewKeyId();
        }

        var secret = ApiKeyRules.NewSecret();
        var record = new ApiKeyRecord
        {
            KeyId = keyId,
            Tenant = tenant,
            Name = name,
            Sha256 = ApiKeyRules.HashOf(secret),
            AllowCommands = allowCommands,
            CreatedAt = now,
            ExpiresAt = now + lifetime,
        };
        _keys[keyId] = record;
        _byHash[record.Sha256] = keyId;
        return new IssuedApiKey(record.ToInfo(now), secret);
    }

    private ApiKeyRecord? Find(string tenant, string keyId) =>
        keyId is not null && _keys.TryGetValue(keyId, out var key) && key.Tenant == tenant ? key : null;

    private static ApiKeyResult NotFound(string tenant, string keyId) =>
        new([new ValidationError("keyId", $"tenant '{tenant}' has no key '{keyId}'")], NotFound: true);
}
