using ComputeGrid.Contracts;
using ComputeGrid.Contracts.Jobs;
using ComputeGrid.Contracts.Pool;
using ComputeGrid.Contracts.Regions;
using ComputeGrid.Domain;
using ComputeGrid.Domain.Jobs;
using ComputeGrid.Domain.Placement;
using ComputeGrid.Domain.Resources;
using ComputeGrid.Domain.Topology;
using ComputeGrid.Grains.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ComputeGrid.Grains.Regions;

/// <summary>A job waiting in a region's queue, persisted with its spec so it can be placed after a restart.</summary>
[GenerateSerializer, Alias("cg.QueuedJobRecord")]
internal sealed record QueuedJobRecord(
    [property: Id(0)] string JobId,
    [property: Id(1)] JobSpec Spec,
    [property: Id(2)] long Sequence,
    [property: Id(3)] DateTimeOffset EnqueuedAt);

/// <summary>A job this region placed that still holds capacity, for fair-share accounting.</summary>
[GenerateSerializer, Alias("cg.PlacedJobRecord")]
internal sealed record PlacedJobRecord([property: Id(0)] string Tenant, [property: Id(1)] ResourceRequest Resources, [property: Id(2)] JobPlacement Placement);

/// <summary>A region's persisted state.</summary>
[GenerateSerializer, Alias("cg.RegionRecord")]
internal sealed class RegionRecord
{
    [Id(0)] public Dictionary<string, QueuedJobRecord> Queue { get; set; } = new(StringComparer.Ordinal);

    [Id(1)] public long NextSequence { get; set; }

    [Id(2)] public Dictionary<string, PlacedJobRecord> Placed { get; set; } = new(StringComparer.Ordinal);
}

/// <summary>
/// One hub node. Places the jobs that originate here: validates them against the pool, ranks data centers with the
/// domain's placement engine over possibly stale free-capacity summaries, and commits at the data center (optimistic,
/// as in Omega); a refused reservation moves on to the next candidate. What fits nowhere now waits in the queue,
/// tried by priority, then fair share between tenants, whenever capacity frees anywhere in the pool.
/// </summary>
[Placement.ZonePlacement]
internal sealed partial class RegionGrain(
    [PersistentState("region", GridStorage.Name)] IPersistentState<RegionRecord> state,
    TopologyCatalog catalog,
    GridClock clock,
    IOptions<ComputeGridOptions> options,
    ILogger<RegionGrain> logger) : Grain, IRegionGrain
{
    private readonly Dictionary<string, CandidateState> _view = new(StringComparer.Ordinal);
    private NationalTopology _topology = catalog.Seed;
    private long _directoryVersion = -1;
    private IGrainTimer? _retryTimer;

    private string HubId => this.GetPrimaryKeyString();

    private bool IsHub => catalog.Seed.Hubs.ContainsKey(HubId);

    private RegionRecord Record => state.State;

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        if (IsHub)
        {
            Apply(await GrainFactory.GetGrain<IPoolGrain>(PoolGrainKey.National).GetDirectoryAsync(cancellationToken));
            UpdateRetryTimer();
        }
    }

    public async Task<PlaceResult> PlaceAsync(string jobId, JobSpec spec, CancellationToken cancellationToken = default)
    {
        if (!IsHub)
        {
            return Rejected(SubmitRefusal.Invalid, [new ValidationError("originHub", $"unknown hub '{spec.OriginHub}'; known hubs: {string.Join(", ", catalog.Seed.Hubs.Keys.Order())}")]);
        }

        var errors = JobSpecRules.Validate(spec, _topology);
        if (errors.Count > 0)
        {
            return Rejected(SubmitRefusal.Invalid, errors);
        }

        if (PlacementEngine.WhyNeverFits(spec, _topology, _topology.DataCenters.Values) is { } never)
        {
            return Rejected(SubmitRefusal.NeverFits, [never]);
        }

        if (Record.Placed.TryGetValue(jobId, out var placedBefore))
        {
            return new PlaceResult(PlaceOutcome.Placed, placedBefore.Placement, SubmitRefusal.None, []);
        }

        if (!Record.Queue.ContainsKey(jobId))
        {
            if (await TryPlaceAsync(jobId, spec, cancellationToken) is { } placement)
            {
                Record.Placed[jobId] = new PlacedJobRecord(spec.Tenant, spec.Resources, placement);
                await state.WriteStateAsync(cancellationToken);
                return new PlaceResult(PlaceOutcome.Placed, placement, SubmitRefusal.None, []);
            }

            Record.Queue[jobId] = new QueuedJobRecord(jobId, spec, Record.NextSequence++, clock.Now);
            await state.WriteStateAsync(cancellationToken);
            LogQueued(logger, jobId, HubId, Record.Queue.Count);
            UpdateRetryTimer();
        }

        return new PlaceResult(PlaceOutcome.Queued, null, SubmitRefusal.None, []);
    }

    public async Task DequeueAsync(string jobId)
    {
        if (Record.Queue.Remove(jobId))
        {
            await state.WriteStateAsync();
            UpdateRetryTimer();
        }
    }

    public async Task OnCapacityFreedAsync(string dataCenterId, ResourceVector free)
    {
        if (_view.TryGetValue(dataCenterId, out var seen))
        {
            _view[dataCenterId] = seen with { Free = free };
        }

        await DrainQueueAsync(CancellationToken.None);
    }

    public async Task OnJobReleasedAsync(string jobId)
    {
        if (Record.Placed.Remove(jobId))
        {
            await state.WriteStateAsync();
        }
    }

    public async Task OnDirectoryChangedAsync(PoolDirectory directory)
    {
        if (directory.Version > _directoryVersion)
        {
            Apply(directory);
            await DrainQueueAsync(CancellationToken.None);
        }
    }

    public Task<int> GetQueueLengthAsync(CancellationToken cancellationToken = default) => Task.FromResult(Record.Queue.Count);

    public Task<IReadOnlyList<QueueEntry>> GetQueueAsync(CancellationToken cancellationToken = default) =>
        Task.FromResult<IReadOnlyList<QueueEntry>>(
            [.. QueueOrder().Select(q => Record.Queue[q.JobId]).Select(q => new QueueEntry(q.JobId, q.Spec.Tenant, q.Spec.Priority, q.Sequence, q.EnqueuedAt))]);

    private async Task DrainQueueAsync(CancellationToken cancellationToken)
    {
        if (Record.Queue.Count == 0)
        {
            return;
        }

        foreach (var next in QueueOrder().Take(options.Value.QueueScanLimit).ToList())
        {
            if (!Record.Queue.TryGetValue(next.JobId, out var queued))
            {
                continue;
            }

            if (await TryPlaceAsync(queued.JobId, queued.Spec, cancellationToken) is not { } placement)
            {
                continue;
            }

            Record.Queue.Remove(queued.JobId);
            Record.Placed[queued.JobId] = new PlacedJobRecord(queued.Spec.Tenant, queued.Spec.Resources, placement);
            await state.WriteStateAsync(cancellationToken);
            var accepted = await GrainFactory.GetGrain<IJobGrain>(queued.JobId).AssignAsync(placement, cancellationToken);
            if (!accepted)
            {
                // Cancelled while we reserved: give the capacity straight back.
                Record.Placed.Remove(queued.JobId);
                await state.WriteStateAsync(cancellationToken);
                await GrainFactory.GetGrain<IDataCenterGrain>(placement.DataCenterId).ReleaseAsync(queued.JobId, default, cancellationToken);
            }
        }

        UpdateRetryTimer();
    }

    private IEnumerable<QueuedJob> QueueOrder()
    {
        var use = new Dictionary<string, ResourceVector>(StringComparer.Ordinal);
        foreach (var placed in Record.Placed.Values)
        {
            use[placed.Tenant] = use.GetValueOrDefault(placed.Tenant, ResourceVector.Zero).Plus(placed.Resources);
        }

        return FairShareQueue.Order(
            Record.Queue.Values.Select(q => new QueuedJob(q.JobId, q.Spec.Tenant, q.Spec.Priority, q.Sequence, q.Spec.Resources)),
            use,
            _topology.TotalCapacity);
    }

    private async Task<JobPlacement?> TryPlaceAsync(string jobId, JobSpec spec, CancellationToken cancellationToken)
    {
        var plan = PlacementEngine.Plan(spec, _topology, _view.Values);
        foreach (var candidate in plan.Ranked.Take(options.Value.MaxPlacementAttempts))
        {
            var result = await GrainFactory.GetGrain<IDataCenterGrain>(candidate.DataCenterId).ReserveAsync(jobId, spec.Resources, cancellationToken);
            if (_view.TryGetValue(candidate.DataCenterId, out var seen))
            {
                _view[candidate.DataCenterId] = seen with { Free = result.Free, Status = result.Status };
            }

            if (result.Holds)
            {
                var energy = _topology.DataCenters[candidate.DataCenterId].Energy;
                return new JobPlacement(candidate.DataCenterId, candidate.HubId, plan.ReasonFor(candidate), candidate.LatencyMs, candidate.Estimate, energy);
            }
        }

        return null;
    }

    private void Apply(PoolDirectory directory)
    {
        _directoryVersion = directory.Version;
        _topology = catalog.WithDataCenters(directory.DataCenters.Select(d => d.Spec));
        var previous = new Dictionary<string, CandidateState>(_view, StringComparer.Ordinal);
        _view.Clear();
        foreach (var entry in directory.DataCenters)
        {
            // Keep what we learnt of a known data center's free capacity; a new one starts optimistic (fully free)
            // and its first reservation answer corrects us.
            var free = previous.TryGetValue(entry.Spec.Id, out var seen) && seen.Spec.Capacity.Equals(entry.Spec.Capacity) ? seen.Free : entry.Spec.Capacity;
            _view[entry.Spec.Id] = new CandidateState(entry.Spec, entry.Status, free);
        }
    }

    private void UpdateRetryTimer()
    {
        if (Record.Queue.Count > 0 && _retryTimer is null)
        {
            var interval = options.Value.QueueRetryInterval;
            _retryTimer = this.RegisterGrainTimer(RetryAsync, interval, interval);
        }
        else if (Record.Queue.Count == 0 && _retryTimer is not null)
        {
            _retryTimer.Dispose();
            _retryTimer = null;
        }
    }

    private async Task RetryAsync(CancellationToken cancellationToken)
    {
        // The safety net for lost signals: forget what we think is full and ask again.
        foreach (var (id, seen) in _view.ToList())
        {
            _view[id] = seen with { Free = seen.Spec.Capacity };
        }

        await DrainQueueAsync(cancellationToken);
    }

    private static PlaceResult Rejected(SubmitRefusal refusal, IReadOnlyList<ValidationError> errors) =>
        new(PlaceOutcome.Rejected, null, refusal, errors);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Job {JobId} queued in {HubId} ({QueueLength} waiting)")]
    private static partial void LogQueued(ILogger logger, string jobId, string hubId, int queueLength);
}
