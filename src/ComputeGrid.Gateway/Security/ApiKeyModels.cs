using System.Text.Json.Serialization;
using ComputeGrid.Contracts.Security;
using ComputeGrid.Domain.Security;

namespace ComputeGrid.Gateway.Security;

/// <summary>A partner API key to issue.</summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed class IssueApiKeyBody
{
    /// <summary>The operators' name for the key (what it is for), 1-64 printable characters.</summary>
    /// <example>acme-prod</example>
    public required string Name { get; init; }

    /// <summary>Whether the key may submit jobs with a command (real processes run by data-center agents); default false.</summary>
    /// <example>false</example>
    public bool AllowCommands { get; init; }

    /// <summary>Days until the key stops authenticating, 1..3650; default 90.</summary>
    /// <example>90</example>
    public int? ExpiresInDays { get; init; }
}

/// <summary>How to rotate a key; every field is optional, and the body may be left out.</summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed class RotateApiKeyBody
{
    /// <summary>Seconds the old key keeps working after the rotation, 0..2592000 (30 days); default 0 (revoked at once).</summary>
    /// <example>3600</example>
    public int? GraceSeconds { get; init; }

    /// <summary>Days until the new key stops authenticating, 1..3650; default the old key's lifetime.</summary>
    /// <example>90</example>
    public int? ExpiresInDays { get; init; }
}

/// <summary>An issued API key as operators see it: never its secret or its hash.</summary>
/// <param name="KeyId">The key's id (k- and 12 hexadecimal characters).</param>
/// <param name="Tenant">The tenant it acts for.</param>
/// <param name="Name">The operators' name for it.</param>
/// <param name="AllowCommands">Whether it may submit jobs with a command.</param>
/// <param name="CreatedAt">When it was issued (UTC).</param>
/// <param name="ExpiresAt">When it stops authenticating (UTC).</param>
/// <param name="RevokedAt">When it was revoked, or (a rotated key in its grace) will be; null when not revoked.</param>
/// <param name="ReplacedBy">The id of the key that replaced it by rotation; null when none.</param>
/// <param name="State">Active, Expired or Revoked, now.</param>
public sealed record ApiKeyView(
    string KeyId,
    string Tenant,
    string Name,
    bool AllowCommands,
    DateTimeOffset CreatedAt,
    DateTimeOffset ExpiresAt,
    DateTimeOffset? RevokedAt,
    string? ReplacedBy,
    ApiKeyState State)
{
    internal static ApiKeyView Of(ApiKeyInfo key) =>
        new(key.KeyId, key.Tenant, key.Name, key.AllowCommands, key.CreatedAt, key.ExpiresAt, key.RevokedAt, key.ReplacedBy, key.State);
}

/// <summary>A newly issued API key with its secret, which is shown only in this answer: send it in the X-API-Key header.</summary>
/// <param name="KeyId">The key's id.</param>
/// <param name="Tenant">The tenant it acts for.</param>
/// <param name="Name">The operators' name for it.</param>
/// <param name="AllowCommands">Whether it may submit jobs with a command.</param>
/// <param name="CreatedAt">When it was issued (UTC).</param>
/// <param name="ExpiresAt">When it stops authenticating (UTC).</param>
/// <param name="Secret">The key itself (cgk_ and 64 hexadecimal characters); the pool keeps only its SHA-256.</param>
public sealed record IssuedApiKeyView(
    string KeyId,
    string Tenant,
    string Name,
    bool AllowCommands,
    DateTimeOffset CreatedAt,
    DateTimeOffset ExpiresAt,
    string Secret)
{
    internal static IssuedApiKeyView Of(IssuedApiKey issued) =>
        new(issued.Key.KeyId, issued.Key.Tenant, issued.Key.Name, issued.Key.AllowCommands, issued.Key.CreatedAt, issued.Key.ExpiresAt, issued.Secret);
}

/// <summary>A rotation's result: the new key with its secret (shown only here) and the old key with the time it stops working.</summary>
/// <param name="Replacement">The new key.</param>
/// <param name="Replaced">The old key; revokedAt is when it stops working.</param>
public sealed record ApiKeyRotationView(IssuedApiKeyView Replacement, ApiKeyView Replaced);
