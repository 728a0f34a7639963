using ComputeGrid.Contracts;
using ComputeGrid.Grains.Hosting;

namespace ComputeGrid.Grains.Tenants;

/// <summary>The tenant directory's persisted state: the tenants in the order they were added.</summary>
[GenerateSerializer, Alias("cg.TenantDirectoryRecord")]
internal sealed class TenantDirectoryRecord
{
    [Id(0)] public List<string> Tenants { get; set; } = [];
}

/// <summary>
/// Every tenant with a job, append-only, so that a position in it stays valid for a listing's cursor. A tenant adds
/// itself once per activation (its first row), so the directory costs one call per tenant activation, not one per job.
/// </summary>
internal sealed class TenantDirectoryGrain(
    [PersistentState("tenants", GridStorage.Name)] IPersistentState<TenantDirectoryRecord> state) : Grain, ITenantDirectoryGrain
{
    private readonly HashSet<string> _known = new(StringComparer.Ordinal);

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _known.UnionWith(state.State.Tenants);
        return Task.CompletedTask;
    }

    public async Task AddAsync(string tenant)
    {
        if (!_known.Add(tenant))
        {
            return;
        }

        state.State.Tenants.Add(tenant);
        try
        {
            await state.WriteStateAsync();
        }
        catch
        {
            // Memory is ahead of storage now: let this activation go, and the next one reads the truth (the tenant adds
            // itself again on its next row).
            DeactivateOnIdle();
            throw;
        }
    }

    public Task<IReadOnlyList<string>> ListAsync(CancellationToken cancellationToken = default) =>
        Task.FromResult<IReadOnlyList<string>>([.. state.State.Tenants]);
}
