using System.Globalization;
using ComputeGrid.Contracts;
using ComputeGrid.Contracts.Jobs;
using ComputeGrid.Contracts.Tenants;
using ComputeGrid.Domain.Accounting;
using ComputeGrid.Domain.Jobs;
using ComputeGrid.Grains.Hosting;
using ComputeGrid.Grains.Persistence;
using Orleans.Concurrency;

namespace ComputeGrid.Grains.Tenants;

/// <summary>
/// A tenant's persisted accounting. Its job index and the ids of the runs it booked grow with the tenant's work, so each
/// is a <see cref="ShardedMap{TValue}"/> of its own; ids 0, 1 and 3 were theirs (and the next sequence number's) when
/// they lived here, and are moved to the shards on activation.
/// </summary>
[GenerateSerializer, Alias("cg.TenantRecord")]
internal sealed class TenantRecord
{
    [Id(0)] public Dictionary<string, JobSummary> Jobs { get; set; } = new(StringComparer.Ordinal);

    [Id(1)] public long NextSequence { get; set; } = 1;

    [Id(2)] public Footprint Executed { get; set; }

    [Id(3)] public HashSet<string> Booked { get; set; } = new(StringComparer.Ordinal);
}

/// <summary>
/// One tenant: the index its job listing reads, and the footprint of its finished work (booked once per run, by booking id). A change
/// to one job writes one shard of the index, so its cost does not grow with the tenant's jobs. Every job of the tenant
/// passes here, so it commits in groups: it is reentrant, each call changes memory in one synchronous step and awaits
/// <see cref="GroupCommit"/>, and the calls that arrive during a write are committed together by the next one.
/// </summary>
[Reentrant]
internal sealed class TenantGrain(
    [PersistentState("tenant", GridStorage.Name)] IPersistentState<TenantRecord> state,
    IGrainContext grainContext,
    IPersistentStateFactory stateFactory) : Grain, ITenantGrain
{
    /// <summary>Most rows in one page.</summary>
    public const int MaxPageSize = 500;

    private const int JobShards = 64;
    private const int BookedShards = 16;
    private readonly ShardedMap<JobSummary> _jobs = new(grainContext, stateFactory, "tenant-jobs", GridStorage.Name, JobShards);
    private readonly ShardedMap<Footprint> _booked = new(grainContext, stateFactory, "tenant-booked", GridStorage.Name, BookedShards);
    private long _nextSequence = 1;
    private Footprint _executed;
    private GroupCommit? _commit;

    private GroupCommit Commit => _commit ??= new GroupCommit(WriteChangesAsync, _ => this.DeactivateOnIdle());

    // Whether this activation has made sure the tenant directory lists this tenant (an operator's listing of every tenant walks it).
    private bool _inDirectory;

    private TenantRecord Record => state.State;

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        if (Record.Jobs.Count > 0 || Record.Booked.Count > 0)
        {
            // Written by a version that kept everything in one record: move it to the shards once.
            foreach (var (id, job) in Record.Jobs)
            {
                _jobs[id] = job;
            }

            foreach (var id in Record.Booked)
            {
                // Their footprints are in the record's Executed already: booked again they would count twice.
                _booked[id] = Footprint.Zero;
            }

            await _jobs.WriteChangesAsync(cancellationToken);
            await _booked.WriteChangesAsync(cancellationToken);
            Record.Jobs.Clear();
            Record.Booked.Clear();
            await state.WriteStateAsync(cancellationToken);
        }

        // Every row keeps its sequence number, so the next one follows from the index itself (no counter to write).
        _nextSequence = Math.Max(Record.NextSequence, _jobs.Values.Select(j => j.Sequence).DefaultIfEmpty(0).Max() + 1);

        // Each booking keeps its footprint in its shard, so booking is one atomic write and the total follows from them
        // (plus what a version that kept only the total had booked).
        _executed = _booked.Values.Aggregate(Record.Executed, (sum, f) => sum + f);

        if (_jobs.Count > 0)
        {
            // Jobs listed before the directory existed: the tenant joins it when it is next activated.
            await GrainFactory.GetGrain<ITenantDirectoryGrain>(PoolGrainKey.National).AddAsync(this.GetPrimaryKeyString());
            _inDirectory = true;
        }
    }

    public async Task UpdateAsync(JobSummary job, IReadOnlyList<TenantBooking> bookings)
    {
        if (!_inDirectory)
        {
            // Idempotent: concurrent first calls may each add the tenant.
            await GrainFactory.GetGrain<ITenantDirectoryGrain>(PoolGrainKey.National).AddAsync(this.GetPrimaryKeyString());
            _inDirectory = true;
        }

        // Rows may arrive out of order and again; never let a job's row go back in time. A stale or repeated row still
        // waits for the commit, so its sender is never answered before the row it saw in memory is durable.
        if (!(_jobs.TryGetValue(job.JobId, out var known) && known.Version >= job.Version))
        {
            var sequence = known?.Sequence ?? _nextSequence++;
            _jobs[job.JobId] = job with { Sequence = sequence };
        }

        var booked = Footprint.Zero;
        foreach (var booking in bookings)
        {
            if (!_booked.ContainsKey(booking.BookingId))
            {
                _booked[booking.BookingId] = booking.Used;
                booked += booking.Used;
            }
        }

        await Commit.CommitAsync();
        _executed += booked;
    }

    public Task<JobPage> ListJobsAsync(JobState? state, int limit, string? cursor, CancellationToken cancellationToken = default)
    {
        limit = Math.Clamp(limit, 1, MaxPageSize);
        var before = cursor is null ? long.MaxValue : long.Parse(cursor, CultureInfo.InvariantCulture);
        var page = _jobs.Values
            .Where(j => j.Sequence < before && (state is null || j.State == state))
            .OrderByDescending(j => j.Sequence)
            .Take(limit + 1)
            .ToList();
        var next = page.Count > limit ? page[limit - 1].Sequence.ToString(CultureInfo.InvariantCulture) : null;
        return Task.FromResult(new JobPage([.. page.Take(limit)], next));
    }

    private async Task WriteChangesAsync(CancellationToken cancellationToken)
    {
        await _jobs.WriteChangesAsync(cancellationToken);
        await _booked.WriteChangesAsync(cancellationToken);
    }

    public Task<TenantSummary> GetSummaryAsync(CancellationToken cancellationToken = default) =>
        Task.FromResult(new TenantSummary(
            this.GetPrimaryKeyString(),
            _jobs.Values.GroupBy(j => j.State).ToDictionary(g => g.Key, g => g.Count()),
            _executed));
}
