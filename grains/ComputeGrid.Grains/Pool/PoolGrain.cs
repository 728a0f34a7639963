using ComputeGrid.Contracts;
using ComputeGrid.Contracts.Pool;
using ComputeGrid.Domain.Accounting;
using ComputeGrid.Domain.Resources;
using ComputeGrid.Domain.Topology;
using ComputeGrid.Grains.Hosting;
using Microsoft.Extensions.Logging;

namespace ComputeGrid.Grains.Pool;

/// <summary>The pool's persisted directory.</summary>
[GenerateSerializer, Alias("cg.PoolRecord")]
internal sealed class PoolRecord
{
    [Id(0)] public bool Seeded { get; set; }

    [Id(1)] public long Version { get; set; }

    [Id(2)] public Dictionary<string, DirectoryEntry> DataCenters { get; set; } = new(StringComparer.Ordinal);
}

/// <summary>
/// The directory of the national pool and the operators' changes to it. Every change is applied at the data center,
/// persisted here, and pushed to every region (one-way), which re-plans its queue against the new pool.
/// </summary>
internal sealed partial class PoolGrain(
    [PersistentState("pool", GridStorage.Name)] IPersistentState<PoolRecord> state,
    TopologyCatalog catalog,
    ILogger<PoolGrain> logger) : Grain, IPoolGrain
{
    private PoolDirectory? _directory;

    private PoolRecord Record => state.State;

    public async Task SeedAsync(IReadOnlyList<DataCenterSpec> dataCenters, CancellationToken cancellationToken = default)
    {
        if (Record.Seeded)
        {
            return;
        }

        foreach (var spec in dataCenters)
        {
            var result = await DataCenter(spec.Id).ConfigureAsync(spec, cancellationToken);
            if (!result.Succeeded)
            {
                throw new InvalidOperationException($"Seeding data center '{spec.Id}' failed: {string.Join("; ", result.Errors)}");
            }

            Record.DataCenters[spec.Id] = new DirectoryEntry(spec, DataCenterStatus.Online);
        }

        Record.Seeded = true;
        await CommitAsync(cancellationToken);
        LogSeeded(logger, dataCenters.Count);
    }

    public Task<PoolDirectory> GetDirectoryAsync(CancellationToken cancellationToken = default) => Task.FromResult(Directory());

    public async Task<AdminResult> RegisterDataCenterAsync(DataCenterSpec spec, CancellationToken cancellationToken = default)
    {
        var errors = DataCenterRules.Validate(spec, catalog.Seed.Hubs);
        if (errors.Count > 0)
        {
            return new AdminResult(errors, false);
        }

        if (Record.DataCenters.ContainsKey(spec.Id))
        {
            return AdminResult.Refused("id", $"data center '{spec.Id}' already exists");
        }

        if (catalog.Seed.Hubs.ContainsKey(spec.Id))
        {
            return AdminResult.Refused("id", $"'{spec.Id}' is a hub id; data centers need their own ids");
        }

        var poolTotal = Record.DataCenters.Values.Aggregate(ResourceVector.Zero, (sum, d) => sum.Plus(d.Spec.Capacity));
        if (DataCenterRules.ValidatePoolTotal(poolTotal, spec.Capacity) is { Count: > 0 } overflow)
        {
            return new AdminResult(overflow, false);
        }

        var result = await DataCenter(spec.Id).ConfigureAsync(spec, cancellationToken);
        if (!result.Succeeded)
        {
            return result;
        }

        Record.DataCenters[spec.Id] = new DirectoryEntry(spec, DataCenterStatus.Online);
        await CommitAsync(cancellationToken);
        LogChanged(logger, spec.Id, "registered");
        return AdminResult.Ok;
    }

    public Task<AdminResult> DrainDataCenterAsync(string dataCenterId, CancellationToken cancellationToken = default) =>
        SetStatusAsync(dataCenterId, DataCenterStatus.Draining, cancellationToken);

    public Task<AdminResult> ResumeDataCenterAsync(string dataCenterId, CancellationToken cancellationToken = default) =>
        SetStatusAsync(dataCenterId, DataCenterStatus.Online, cancellationToken);

    public async Task<AdminResult> RemoveDataCenterAsync(string dataCenterId, CancellationToken cancellationToken = default)
    {
        if (dataCenterId is null || !Record.DataCenters.ContainsKey(dataCenterId))
        {
            return AdminResult.Missing(dataCenterId ?? string.Empty);
        }

        var result = await DataCenter(dataCenterId).RetireAsync(cancellationToken);
        if (!result.Succeeded)
        {
            return result;
        }

        Record.DataCenters.Remove(dataCenterId);
        await CommitAsync(cancellationToken);
        LogChanged(logger, dataCenterId, "removed");
        return AdminResult.Ok;
    }

    public async Task<PoolSnapshot> GetPoolAsync(CancellationToken cancellationToken = default)
    {
        var snapshots = await Task.WhenAll(Record.DataCenters.Keys.Select(id => DataCenter(id).GetSnapshotAsync(cancellationToken)));
        return Summarise(catalog.Seed.Hubs.Values, snapshots.OfType<DataCenterSnapshot>(), await QueueLengthsAsync(GrainFactory, catalog, cancellationToken));
    }

    /// <summary>Each hub's queue length, by hub id.</summary>
    internal static async Task<Dictionary<string, int>> QueueLengthsAsync(IGrainFactory grains, TopologyCatalog catalog, CancellationToken cancellationToken)
    {
        var queues = await Task.WhenAll(catalog.Seed.Hubs.Keys.Select(async hub =>
            (hub, Count: await grains.GetGrain<IRegionGrain>(hub).GetQueueLengthAsync(cancellationToken))));
        return queues.ToDictionary(q => q.hub, q => q.Count, StringComparer.Ordinal);
    }

    /// <summary>The pool's snapshot from its data centers' snapshots and the hubs' queue lengths: per-hub and national totals.</summary>
    internal static PoolSnapshot Summarise(IEnumerable<Hub> hubList, IEnumerable<DataCenterSnapshot> snapshots, IReadOnlyDictionary<string, int> queueByHub)
    {
        var byHub = snapshots.ToLookup(s => s.Spec.HubId);
        var hubs = hubList
            .OrderBy(h => h.Zone).ThenBy(h => h.Id, StringComparer.Ordinal)
            .Select(hub =>
            {
                var dcs = byHub[hub.Id].OrderBy(d => d.Spec.Id, StringComparer.Ordinal).ToList();
                return new HubSnapshot(
                    hub,
                    dcs,
                    queueByHub.GetValueOrDefault(hub.Id),
                    dcs.Aggregate(ResourceVector.Zero, (sum, d) => sum.Plus(d.Spec.Capacity)),
                    dcs.Aggregate(ResourceVector.Zero, (sum, d) => sum.Plus(d.Used)),
                    dcs.Aggregate(Footprint.Zero, (sum, d) => sum + d.Executed));
            })
            .ToList();
        return new PoolSnapshot(
            hubs,
            hubs.Aggregate(ResourceVector.Zero, (sum, h) => sum.Plus(h.Capacity)),
            hubs.Aggregate(ResourceVector.Zero, (sum, h) => sum.Plus(h.Used)),
            hubs.Sum(h => h.QueueLength),
            hubs.Aggregate(Footprint.Zero, (sum, h) => sum + h.Executed));
    }

    public async Task OnDataCenterChangedAsync(string dataCenterId, DataCenterStatus status, IReadOnlyList<string>? commandTenants)
    {
        if (!Record.DataCenters.TryGetValue(dataCenterId, out var entry))
        {
            return;
        }

        var tenants = commandTenants is null ? null : (IReadOnlyList<string>)[.. commandTenants.Order(StringComparer.Ordinal)];
        if (entry.Status == status && (entry.CommandTenants ?? []).SequenceEqual(tenants ?? []) && (entry.CommandTenants is null) == (tenants is null))
        {
            return;
        }

        Record.DataCenters[dataCenterId] = entry with { Status = status, CommandTenants = tenants };
        await CommitAsync(CancellationToken.None);
        LogStatusChanged(logger, dataCenterId, status);
    }

    public async Task<bool> SetPricesAsync(string dataCenterId, Domain.Market.PriceList prices, CancellationToken cancellationToken = default)
    {
        if (dataCenterId is null || !Record.DataCenters.TryGetValue(dataCenterId, out var entry))
        {
            return false;
        }

        if (!Equals(entry.Prices, prices))
        {
            Record.DataCenters[dataCenterId] = entry with { Prices = prices };
            await CommitAsync(cancellationToken);
            LogChanged(logger, dataCenterId, "repriced");
        }

        return true;
    }

    private async Task<AdminResult> SetStatusAsync(string dataCenterId, DataCenterStatus status, CancellationToken cancellationToken)
    {
        if (dataCenterId is null || !Record.DataCenters.TryGetValue(dataCenterId, out var entry))
        {
            return AdminResult.Missing(dataCenterId ?? string.Empty);
        }

        var result = await DataCenter(dataCenterId).SetStatusAsync(status, cancellationToken);
        if (!result.Succeeded)
        {
            return result;
        }

        Record.DataCenters[dataCenterId] = entry with { Status = status };
        await CommitAsync(cancellationToken);
        LogStatusChanged(logger, dataCenterId, status);
        return AdminResult.Ok;
    }

    private async Task CommitAsync(CancellationToken cancellationToken)
    {
        Record.Version++;
        await state.WriteStateAsync(cancellationToken);
        var directory = Directory();
        foreach (var hub in catalog.Seed.Hubs.Keys)
        {
            await GrainFactory.GetGrain<IRegionGrain>(hub).OnDirectoryChangedAsync(directory);
        }
    }

    /// <summary>
    /// The directory at the current version, built on its first read (it is immutable, so every caller shares it): a
    /// change bumps the version in the same turn it is made, except seeding, which ends by bumping it.
    /// </summary>
    private PoolDirectory Directory() =>
        _directory is { } known && known.Version == Record.Version
            ? known
            : _directory = new(Record.Version, [.. Record.DataCenters.Values.OrderBy(d => d.Spec.Id, StringComparer.Ordinal)]);

    private IDataCenterGrain DataCenter(string id) => GrainFactory.GetGrain<IDataCenterGrain>(id);

    [LoggerMessage(Level = LogLevel.Information, Message = "Pool seeded with {Count} data centers")]
    private static partial void LogSeeded(ILogger logger, int count);

    [LoggerMessage(Level = LogLevel.Information, Message = "Data center {DataCenterId} {Change}")]
    private static partial void LogChanged(ILogger logger, string dataCenterId, string change);

    [LoggerMessage(Level = LogLevel.Information, Message = "Data center {DataCenterId} set {Status}")]
    private static partial void LogStatusChanged(ILogger logger, string dataCenterId, DataCenterStatus status);
}
