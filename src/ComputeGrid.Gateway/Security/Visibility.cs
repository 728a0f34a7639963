using System.Security.Claims;
using ComputeGrid.Client;

namespace ComputeGrid.Gateway.Security;

/// <summary>Who may see a tenant's resource: an operator any tenant's, a partner only its own.</summary>
internal static class Visibility
{
    /// <summary>True when <paramref name="user"/> may see a resource of <paramref name="tenant"/>.</summary>
    public static bool MaySee(ClaimsPrincipal user, string tenant) =>
        user.IsInRole(nameof(GatewayRole.Operator)) || string.Equals(tenant, ApiKeys.TenantOf(user), StringComparison.Ordinal);

    /// <summary>
    /// Reads a resource and answers it if <paramref name="user"/> may see it; null when it does not exist or belongs to
    /// another tenant, so that to a partner another tenant's resource is as absent as an unknown one.
    /// </summary>
    public static async Task<T?> FindAsync<T>(ClaimsPrincipal user, Func<Task<T>> read, Func<T, string> tenantOf)
        where T : class
    {
        try
        {
            var found = await read();
            return MaySee(user, tenantOf(found)) ? found : null;
        }
        catch (ComputeGridNotFoundException)
        {
            return null;
        }
    }
}
