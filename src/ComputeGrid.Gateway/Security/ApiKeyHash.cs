using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;

namespace ComputeGrid.Gateway.Security;

/// <summary>API keys are kept and compared as SHA-256 hashes, so configuration never holds a usable key.</summary>
public static partial class ApiKeyHash
{
    /// <summary>The lower-case hexadecimal SHA-256 of the key's UTF-8 bytes.</summary>
    public static string Of(string key) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));

    /// <summary>True for 64 hexadecimal characters.</summary>
    public static bool IsHash(string? value) => value is { Length: 64 } && HexPattern().IsMatch(value);

    [GeneratedRegex("^[0-9a-fA-F]{64}$")]
    private static partial Regex HexPattern();
}

/// <summary>The gateway's tenant names, which also prefix the ids of the jobs it creates.</summary>
internal static partial class TenantNames
{
    public static bool IsValid(string? tenant) => tenant is { Length: > 0 and <= 64 } && Pattern().IsMatch(tenant);

    [GeneratedRegex("^[a-z0-9][a-z0-9-]*$")]
    private static partial Regex Pattern();
}
