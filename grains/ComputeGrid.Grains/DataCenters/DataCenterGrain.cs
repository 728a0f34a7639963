using ComputeGrid.Contracts;
using ComputeGrid.Contracts.Pool;
using ComputeGrid.Domain.Accounting;
using ComputeGrid.Domain.Resources;
using ComputeGrid.Domain.Topology;
using ComputeGrid.Grains.Execution;
using ComputeGrid.Grains.Hosting;
using Microsoft.Extensions.Logging;

namespace ComputeGrid.Grains.DataCenters;

/// <summary>A data center's persisted state.</summary>
[GenerateSerializer, Alias("cg.DataCenterRecord")]
internal sealed class DataCenterRecord
{
    [Id(0)] public DataCenterSpec? Spec { get; set; }

    [Id(1)] public DataCenterStatus Status { get; set; }

    [Id(2)] public Dictionary<string, ResourceRequest> Reservations { get; set; } = new(StringComparer.Ordinal);

    [Id(3)] public Footprint Executed { get; set; }

    [Id(4)] public long JobsFinished { get; set; }

    [Id(5)] public bool Retired { get; set; }
}

/// <summary>
/// The single authority over one data center's capacity. Reservations are checked and written here, one call at a
/// time, so the sum of reservations can never exceed capacity whatever the concurrency outside.
/// </summary>
[Placement.ZonePlacement]
internal sealed partial class DataCenterGrain(
    [PersistentState("datacenter", GridStorage.Name)] IPersistentState<DataCenterRecord> state,
    IJobExecutor executor,
    TopologyCatalog catalog,
    ILogger<DataCenterGrain> logger) : Grain, IDataCenterGrain
{
    private CapacityLedger? _ledger;

    private string Id => this.GetPrimaryKeyString();

    private DataCenterRecord Record => state.State;

    private bool Exists => Record.Spec is not null && !Record.Retired;

    private CapacityLedger Ledger => _ledger ??= new CapacityLedger(Record.Spec?.Capacity ?? ResourceVector.Zero, Record.Reservations);

    public async Task<AdminResult> ConfigureAsync(DataCenterSpec spec, CancellationToken cancellationToken = default)
    {
        if (spec.Id != Id)
        {
            return AdminResult.Refused("id", $"spec id '{spec.Id}' does not match data center '{Id}'");
        }

        if (!Ledger.TryResize(spec.Capacity))
        {
            return AdminResult.Refused("capacity", $"current reservations ({Ledger.Used}) exceed the new capacity ({spec.Capacity})");
        }

        if (!Exists)
        {
            Record.Status = DataCenterStatus.Online;
        }

        Record.Spec = spec;
        Record.Retired = false;
        await state.WriteStateAsync(cancellationToken);
        LogConfigured(logger, Id, spec.HubId, spec.Capacity);
        return AdminResult.Ok;
    }

    public async Task<AdminResult> SetStatusAsync(DataCenterStatus status, CancellationToken cancellationToken = default)
    {
        if (!Exists)
        {
            return AdminResult.Missing(Id);
        }

        if (Record.Status != status)
        {
            Record.Status = status;
            await state.WriteStateAsync(cancellationToken);
            LogStatus(logger, Id, status);
        }

        return AdminResult.Ok;
    }

    public async Task<AdminResult> RetireAsync(CancellationToken cancellationToken = default)
    {
        if (!Exists)
        {
            return AdminResult.Missing(Id);
        }

        if (Ledger.Reservations.Count > 0)
        {
            return AdminResult.Refused("dataCenterId", $"{Ledger.Reservations.Count} jobs still hold capacity in '{Id}'; drain it and wait for them to finish");
        }

        Record.Retired = true;
        await state.WriteStateAsync(cancellationToken);
        return AdminResult.Ok;
    }

    public async Task<ReservationResult> ReserveAsync(string jobId, ResourceRequest resources, CancellationToken cancellationToken = default)
    {
        if (!Exists)
        {
            return new ReservationResult(ReservationOutcome.NotAccepting, ResourceVector.Zero, DataCenterStatus.Offline);
        }

        if (Record.Status != DataCenterStatus.Online && !Ledger.Reservations.ContainsKey(jobId))
        {
            return new ReservationResult(ReservationOutcome.NotAccepting, Ledger.Free, Record.Status);
        }

        var outcome = Ledger.Reserve(jobId, resources);
        if (outcome == ReserveOutcome.Reserved)
        {
            try
            {
                await state.WriteStateAsync(cancellationToken);
            }
            catch
            {
                // Not durable, so not granted: undo in memory too.
                Ledger.Release(jobId);
                throw;
            }
        }

        return new ReservationResult(
            outcome switch
            {
                ReserveOutcome.Reserved => ReservationOutcome.Reserved,
                ReserveOutcome.AlreadyReserved => ReservationOutcome.AlreadyReserved,
                ReserveOutcome.Conflict => ReservationOutcome.Conflict,
                _ => ReservationOutcome.Insufficient,
            },
            Ledger.Free,
            Record.Status);
    }

    public async Task ReleaseAsync(string jobId, Footprint executed, CancellationToken cancellationToken = default)
    {
        if (!Ledger.Reservations.TryGetValue(jobId, out var held))
        {
            return;
        }

        Ledger.Release(jobId);
        Record.Executed += executed;
        Record.JobsFinished++;
        try
        {
            await state.WriteStateAsync(cancellationToken);
        }
        catch
        {
            Ledger.Reserve(jobId, held);
            Record.Executed -= executed;
            Record.JobsFinished--;
            throw;
        }

        var free = Ledger.Free;
        foreach (var hub in catalog.Seed.Hubs.Keys)
        {
            await GrainFactory.GetGrain<IRegionGrain>(hub).OnCapacityFreedAsync(Id, free);
        }
    }

    public Task StartAsync(string jobId, TimeSpan runTime, CancellationToken cancellationToken = default)
    {
        if (Ledger.Reservations.ContainsKey(jobId))
        {
            executor.Start(Id, jobId, runTime);
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(string jobId, CancellationToken cancellationToken = default)
    {
        executor.Stop(jobId);
        return Task.CompletedTask;
    }

    public Task<DataCenterSnapshot?> GetSnapshotAsync(CancellationToken cancellationToken = default) =>
        Task.FromResult(Exists
            ? new DataCenterSnapshot(Record.Spec!, Record.Status, Ledger.Used, Ledger.Free, Ledger.Reservations.Count, Record.Executed, Record.JobsFinished)
            : null);

    [LoggerMessage(Level = LogLevel.Information, Message = "Data center {DataCenterId} in {HubId} configured with {Capacity}")]
    private static partial void LogConfigured(ILogger logger, string dataCenterId, string hubId, ResourceVector capacity);

    [LoggerMessage(Level = LogLevel.Information, Message = "Data center {DataCenterId} is now {Status}")]
    private static partial void LogStatus(ILogger logger, string dataCenterId, DataCenterStatus status);
}
