using ComputeGrid.Domain;
using ComputeGrid.Domain.Security;
using Orleans.Concurrency;

namespace ComputeGrid.Contracts.Security;

/// <summary>
/// The partners' API keys that operators issue, rotate and revoke (key: <see cref="ApiKeyDirectoryKey.National"/>). Keys
/// are kept as SHA-256 hashes; a secret exists only in the answer that issued it. Configured (bootstrap) keys are not here.
/// </summary>
[Alias("cg.IApiKeyDirectoryGrain")]
public interface IApiKeyDirectoryGrain : IGrainWithStringKey
{
    /// <summary>Issues a new key for <paramref name="tenant"/>, valid for <paramref name="expiresInDays"/> days.</summary>
    [Alias("Issue")]
    Task<ApiKeyResult> IssueAsync(string tenant, string name, bool allowCommands, int expiresInDays, CancellationToken cancellationToken = default);

    /// <summary>A tenant's keys, newest first, revoked and expired ones included; never a secret or a hash.</summary>
    [Alias("List")]
    Task<IReadOnlyList<ApiKeyInfo>> ListAsync(string tenant, CancellationToken cancellationToken = default);

    /// <summary>
    /// Issues a key that replaces <paramref name="keyId"/> (same name and permission; <paramref name="expiresInDays"/> or
    /// the old key's lifetime) and revokes the old one after <paramref name="grace"/>.
    /// </summary>
    [Alias("Rotate")]
    Task<ApiKeyResult> RotateAsync(string tenant, string keyId, TimeSpan grace, int? expiresInDays, CancellationToken cancellationToken = default);

    /// <summary>Revokes a key at once; revoking a revoked key changes nothing.</summary>
    [Alias("Revoke")]
    Task<ApiKeyResult> RevokeAsync(string tenant, string keyId, CancellationToken cancellationToken = default);

    /// <summary>The active key whose hash is <paramref name="sha256"/>, and how much longer it authenticates; null for none.</summary>
    [AlwaysInterleave, Alias("Find")]
    Task<ApiKeyMatch?> FindAsync(string sha256, CancellationToken cancellationToken = default);
}

/// <summary>The key of the one API-key directory.</summary>
public static class ApiKeyDirectoryKey
{
    /// <summary>The national directory.</summary>
    public const string National = "national";
}

/// <summary>An issued key as operators see it: never its secret or hash.</summary>
/// <param name="KeyId">The key's id, <c>k-</c> and 12 hexadecimal characters.</param>
/// <param name="Tenant">The tenant it acts for.</param>
/// <param name="Name">The operators' name for it.</param>
/// <param name="AllowCommands">Whether it may submit jobs with a command.</param>
/// <param name="CreatedAt">When it was issued (federation clock).</param>
/// <param name="ExpiresAt">When it stops authenticating.</param>
/// <param name="RevokedAt">When it was (or, for a rotated key in its grace, will be) revoked; null when not.</param>
/// <param name="ReplacedBy">The key that replaced it by rotation; null when none.</param>
/// <param name="State">Its state when it was read.</param>
[GenerateSerializer, Immutable, Alias("cg.ApiKeyInfo")]
public sealed record ApiKeyInfo(
    [property: Id(0)] string KeyId,
    [property: Id(1)] string Tenant,
    [property: Id(2)] string Name,
    [property: Id(3)] bool AllowCommands,
    [property: Id(4)] DateTimeOffset CreatedAt,
    [property: Id(5)] DateTimeOffset ExpiresAt,
    [property: Id(6)] DateTimeOffset? RevokedAt,
    [property: Id(7)] string? ReplacedBy,
    [property: Id(8)] ApiKeyState State);

/// <summary>A newly issued key with its secret, which is shown only here.</summary>
/// <param name="Key">The key.</param>
/// <param name="Secret">The secret to send in the X-API-Key header.</param>
[GenerateSerializer, Immutable, Alias("cg.IssuedApiKey")]
public sealed record IssuedApiKey(
    [property: Id(0)] ApiKeyInfo Key,
    [property: Id(1)] string Secret);

/// <summary>An active key found by its hash.</summary>
/// <param name="Key">The key.</param>
/// <param name="ValidFor">How much longer it authenticates (until it expires or its scheduled revocation).</param>
[GenerateSerializer, Immutable, Alias("cg.ApiKeyMatch")]
public sealed record ApiKeyMatch(
    [property: Id(0)] ApiKeyInfo Key,
    [property: Id(1)] TimeSpan ValidFor);

/// <summary>The outcome of a change to the key directory.</summary>
/// <param name="Errors">Why it was refused; empty when it succeeded.</param>
/// <param name="NotFound">The tenant has no key with that id.</param>
/// <param name="Issued">The new key (issue and rotate).</param>
/// <param name="Key">The changed key (rotate: the old one; revoke: the revoked one).</param>
[GenerateSerializer, Immutable, Alias("cg.ApiKeyResult")]
public sealed record ApiKeyResult(
    [property: Id(0)] IReadOnlyList<ValidationError> Errors,
    [property: Id(1)] bool NotFound = false,
    [property: Id(2)] IssuedApiKey? Issued = null,
    [property: Id(3)] ApiKeyInfo? Key = null)
{
    /// <summary>True when nothing was refused.</summary>
    public bool Succeeded => Errors.Count == 0 && !NotFound;
}
