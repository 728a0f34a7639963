using ComputeGrid.Domain.Security;

namespace ComputeGrid.Gateway.Security;

/// <summary>API keys are kept and compared as SHA-256 hashes, so configuration never holds a usable key.</summary>
public static class ApiKeyHash
{
    /// <summary>The lower-case hexadecimal SHA-256 of the key's UTF-8 bytes.</summary>
    public static string Of(string key) => ApiKeyRules.HashOf(key);

    /// <summary>True for 64 hexadecimal characters.</summary>
    public static bool IsHash(string? value) => ApiKeyRules.IsHash(value);
}

/// <summary>The gateway's tenant names, which also prefix the ids of the jobs it creates.</summary>
internal static class TenantNames
{
    public static bool IsValid(string? tenant) => ApiKeyRules.IsValidTenant(tenant);
}
