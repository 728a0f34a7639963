using System.Globalization;
using ComputeGrid.Domain;

namespace ComputeGrid.Client;

/// <summary>
/// The cursor of a listing of every tenant's jobs, one positive number: the tenant's position in the tenant directory
/// (append-only, so it stays valid) in the high bits, and that tenant's own cursor (0: from its newest job) in the low 40.
/// </summary>
internal static class AllTenantsCursor
{
    private const int TenantShift = 40;
    private const long WithinTenant = (1L << TenantShift) - 1;

    /// <summary>The cursor that resumes at tenant <paramref name="tenantAt"/> before its job sequence <paramref name="before"/> (0: its newest).</summary>
    public static string Write(int tenantAt, long before) =>
        before is < 0 or > WithinTenant
            ? throw new InvalidOperationException($"A tenant's job sequence {before} does not fit the listing cursor.")
            : (((long)(tenantAt + 1) << TenantShift) | before).ToString(CultureInfo.InvariantCulture);

    /// <summary>The tenant's position and its cursor (0: its newest) from a cursor <see cref="Write"/> made.</summary>
    public static (int TenantAt, long Before) Read(long cursor)
    {
        var tenantAt = (cursor >> TenantShift) - 1;
        if (tenantAt is < 0 or >= int.MaxValue)
        {
            throw new ComputeGridValidationException([new ValidationError("cursor", "is not a cursor this API returned")]);
        }

        return ((int)tenantAt, cursor & WithinTenant);
    }
}
