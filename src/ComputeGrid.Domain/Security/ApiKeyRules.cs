using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;

namespace ComputeGrid.Domain.Security;

/// <summary>Where an API key issued through the API stands at a given moment.</summary>
public enum ApiKeyState
{
    /// <summary>Authenticates.</summary>
    Active,

    /// <summary>Its expiry has passed; it no longer authenticates.</summary>
    Expired,

    /// <summary>Revoked (or rotated and its grace is over); it no longer authenticates.</summary>
    Revoked,
}

/// <summary>
/// The rules of the API keys operators issue to partners: names, tenants, expiry and grace bounds, the secret's form, the
/// hash it is kept as, and which keys authenticate at a given moment. No clock: the moment is passed in.
/// </summary>
public static partial class ApiKeyRules
{
    /// <summary>The prefix of every issued secret; the gateway asks the pool about keys of this form only.</summary>
    public const string SecretPrefix = "cgk_";

    /// <summary>Length of an issued secret: the prefix and 64 hexadecimal characters (256 random bits).</summary>
    public const int SecretLength = 68;

    /// <summary>Longest key name and tenant, characters.</summary>
    public const int MaxNameLength = 64;

    /// <summary>The expiry when the operator names none, days.</summary>
    public const int DefaultExpiryDays = 90;

    /// <summary>The longest expiry, days (10 years).</summary>
    public const int MaxExpiryDays = 3650;

    /// <summary>The longest grace a rotated key keeps working after its rotation, seconds (30 days).</summary>
    public const int MaxGraceSeconds = 30 * 24 * 3600;

    /// <summary>The lower-case hexadecimal SHA-256 of the key's UTF-8 bytes: what configuration and grain state hold instead of the key.</summary>
    public static string HashOf(string key) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));

    /// <summary>True for 64 hexadecimal characters.</summary>
    public static bool IsHash(string? value) => value is { Length: 64 } && HexPattern().IsMatch(value);

    /// <summary>True when <paramref name="key"/> has the form of an issued secret (<c>cgk_</c> and 64 lower-case hex characters).</summary>
    public static bool IsIssuedForm(string? key) =>
        key is { Length: SecretLength } && key.StartsWith(SecretPrefix, StringComparison.Ordinal) && LowerHexPattern().IsMatch(key.AsSpan(SecretPrefix.Length));

    /// <summary>A new secret from 32 random bytes.</summary>
    public static string NewSecret() => SecretPrefix + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));

    /// <summary>A new key id: <c>k-</c> and 12 random hexadecimal characters.</summary>
    public static string NewKeyId() => "k-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6));

    /// <summary>True for tenants of 1-64 characters of a-z, 0-9 and '-', starting with a letter or digit.</summary>
    public static bool IsValidTenant(string? tenant) => tenant is { Length: > 0 and <= MaxNameLength } && TenantPattern().IsMatch(tenant);

    /// <summary>True for key names of 1-64 printable characters that are not only spaces.</summary>
    public static bool IsValidName(string? name) =>
        name is { Length: > 0 and <= MaxNameLength } && !string.IsNullOrWhiteSpace(name) && !name.Any(char.IsControl);

    /// <summary>Checks an issue or rotation request; an empty list means valid.</summary>
    public static IReadOnlyList<ValidationError> Validate(string? tenant, string? name, int? expiresInDays, int? graceSeconds = null)
    {
        var errors = new List<ValidationError>();
        if (!IsValidTenant(tenant))
        {
            errors.Add(new("tenant", $"must be 1-{MaxNameLength} characters of a-z, 0-9 and '-', starting with a letter or digit"));
        }

        if (name is not null && !IsValidName(name))
        {
            errors.Add(new("name", $"must be 1-{MaxNameLength} printable characters"));
        }

        if (expiresInDays is < 1 or > MaxExpiryDays)
        {
            errors.Add(new("expiresInDays", $"must be between 1 and {MaxExpiryDays} days"));
        }

        if (graceSeconds is < 0 or > MaxGraceSeconds)
        {
            errors.Add(new("graceSeconds", $"must be between 0 and {MaxGraceSeconds} seconds (30 days)"));
        }

        return errors;
    }

    /// <summary>The key's state at <paramref name="now"/>: revoked once its revocation time has come, else expired once its expiry has.</summary>
    public static ApiKeyState StateAt(DateTimeOffset now, DateTimeOffset expiresAt, DateTimeOffset? revokedAt) =>
        revokedAt is { } revoked && now >= revoked ? ApiKeyState.Revoked
        : now >= expiresAt ? ApiKeyState.Expired
        : ApiKeyState.Active;

    /// <summary>How much longer an active key authenticates from <paramref name="now"/>: until it expires or its scheduled revocation.</summary>
    public static TimeSpan RemainingAt(DateTimeOffset now, DateTimeOffset expiresAt, DateTimeOffset? revokedAt)
    {
        var end = revokedAt is { } revoked && revoked < expiresAt ? revoked : expiresAt;
        return end > now ? end - now : TimeSpan.Zero;
    }

    [GeneratedRegex("^[0-9a-fA-F]{64}$")]
    private static partial Regex HexPattern();

    [GeneratedRegex("^[0-9a-f]{64}$")]
    private static partial Regex LowerHexPattern();

    [GeneratedRegex("^[a-z0-9][a-z0-9-]*$")]
    private static partial Regex TenantPattern();
}
