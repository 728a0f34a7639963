using ComputeGrid.Contracts.Pool;
using ComputeGrid.Domain;
using ComputeGrid.Domain.Jobs;
using ComputeGrid.Domain.Loans;
using ComputeGrid.Domain.Placement;
using ComputeGrid.Domain.Resources;
using ComputeGrid.Domain.Topology;
using ComputeGrid.Grains.Hosting;

namespace ComputeGrid.Grains.Regions;

/// <summary>
/// A region's cache of the pool: the directory at the version last applied, the last seen free capacity and status of
/// every data center, and the same in placement's orders (<see cref="CandidateIndex"/>), so a placement costs the same
/// with 10 data centers or 10,000. Also remembers per job shape whether it can ever fit. Not a grain: the region owns one.
/// </summary>
internal sealed class RegionView(TopologyCatalog catalog, string hubId)
{
    private const int NeverFitsShapes = 1024;
    private readonly Dictionary<(string OriginHub, LatencyClass LatencyClass, string AllowedHubs, ResourceRequest Resources), ValidationError?> _neverFits = [];
    private readonly Dictionary<string, CandidateState> _view = new(StringComparer.Ordinal);
    private CandidateIndex _candidates = new(catalog.Seed, string.Empty, []);

    /// <summary>The directory version applied; -1 before the first.</summary>
    public long Version { get; private set; } = -1;

    /// <summary>The topology with the directory's data centers.</summary>
    public NationalTopology Topology { get; private set; } = catalog.Seed;

    /// <summary>Every data center as last seen.</summary>
    public IReadOnlyCollection<CandidateState> DataCenters => _view.Values;

    /// <summary>What the region's own data centers can hold: their capacity summed.</summary>
    public ResourceVector Nominal => Topology.DataCentersOf(hubId).Aggregate(ResourceVector.Zero, (sum, d) => sum.Plus(d.Capacity));

    /// <summary>Takes a directory newer than the one applied; false when it is not newer.</summary>
    public bool Apply(PoolDirectory directory)
    {
        if (directory.Version <= Version)
        {
            return false;
        }

        Version = directory.Version;
        Topology = catalog.WithDataCenters(directory.DataCenters.Select(d => d.Spec));
        _neverFits.Clear();
        var previous = new Dictionary<string, CandidateState>(_view, StringComparer.Ordinal);
        _view.Clear();
        foreach (var entry in directory.DataCenters)
        {
            // Keep what we learnt of a known data center's free capacity; a new one starts optimistic (fully free)
            // and its first reservation answer corrects us.
            var free = previous.TryGetValue(entry.Spec.Id, out var seen) && seen.Spec.Capacity.Equals(entry.Spec.Capacity) ? seen.Free : entry.Spec.Capacity;
            _view[entry.Spec.Id] = new CandidateState(entry.Spec, entry.Status, free, entry.CommandTenants, entry.Prices);
        }

        // The directory is ordered by id: the index keeps that order for the jobs that take the full scan.
        _candidates = new CandidateIndex(Topology, hubId, _view.Values);
        return true;
    }

    /// <summary>Records what a data center said of its free capacity (and status), in the view and in its index.</summary>
    public void See(string dataCenterId, ResourceVector free, DataCenterStatus? status = null)
    {
        if (_view.TryGetValue(dataCenterId, out var seen))
        {
            seen = seen with { Free = free, Status = status ?? seen.Status };
            _view[dataCenterId] = seen;
            _candidates.Update(dataCenterId, seen.Free, seen.Status);
        }
    }

    /// <summary>The free capacity last seen at a data center; null when it is not in the directory.</summary>
    public ResourceVector? FreeAt(string dataCenterId) => _view.TryGetValue(dataCenterId, out var seen) ? seen.Free : null;

    /// <summary>Counts slices held for a loan we lent as taken.</summary>
    public void Hold(IEnumerable<LoanSlice> slices)
    {
        foreach (var slice in slices)
        {
            if (FreeAt(slice.DataCenterId) is { } free)
            {
                See(slice.DataCenterId, QuotaMath.ClipAtZero(free.Minus(slice.Amount)));
            }
        }
    }

    /// <summary>The safety net for lost signals: forgets what we think is full, so every data center is asked again.</summary>
    public void ForgetWhatIsFull()
    {
        foreach (var seen in _view.Values.ToList())
        {
            See(seen.Spec.Id, seen.Spec.Capacity);
        }
    }

    /// <summary>
    /// The head of the job's ranking over our own data centers (from the index) and the usable loan slices, with the
    /// counts its reason states: what <see cref="PlacementEngine.Plan"/> over both would rank first.
    /// </summary>
    public PlacementShortlist Shortlist(JobSpec spec, IEnumerable<(string DataCenterId, ResourceVector Amount, ResourceVector Room)> slices, int count) =>
        _candidates.Shortlist(spec, hub => hub == hubId, [.. LoanCandidates(slices)], count);

    /// <summary>The job's best feasible data center in the hubs <paramref name="inHub"/> allows (capacity as last seen).</summary>
    public ScoredCandidate? Best(JobSpec spec, Func<string, bool> inHub) => _candidates.Best(spec, inHub);

    /// <summary>
    /// The job's best data center in the hubs <paramref name="inHub"/> allows within its constraints, free capacity aside
    /// (as if every data center were empty): where GreenestPredictive would wait for room. A scan of the pool, asked only
    /// for GreenestPredictive jobs whose best place now is not already it.
    /// </summary>
    public ScoredCandidate? Ideal(JobSpec spec, Func<string, bool> inHub) =>
        PlacementEngine.Best(spec, Topology, _view.Values.Where(c => inHub(c.Spec.HubId)).Select(c => c with { Free = c.Spec.Capacity }));

    /// <summary>
    /// <see cref="PlacementEngine.WhyNeverFits"/> over the whole pool, remembered per job shape until the directory changes
    /// (the answer depends only on the shape and the directory, and submissions repeat a few shapes), then over-cap.
    /// </summary>
    public ValidationError? WhyNeverFits(JobSpec spec)
    {
        var shape = (spec.OriginHub, spec.LatencyClass, string.Join(',', spec.AllowedHubs), spec.Resources);
        if (!_neverFits.TryGetValue(shape, out var never))
        {
            if (_neverFits.Count >= NeverFitsShapes)
            {
                _neverFits.Clear();
            }

            never = _neverFits[shape] = PlacementEngine.WhyNeverFits(spec, Topology, Topology.DataCenters.Values);
        }

        return never ?? PlacementEngine.WhyOverCap(spec, Topology, _view.Values);
    }

    /// <summary>A job with a command needs an agent (online or not, it may come back) that runs its tenant's commands in an allowed hub.</summary>
    public ValidationError? WhyNoAgent(JobSpec spec) =>
        spec.Command is null || _candidates.AnyAgentRuns(spec)
            ? null
            : new ValidationError("command", $"no data center in an allowed hub has an agent that runs commands of tenant '{spec.Tenant}'");

    /// <summary>Peers' data centers where a loan slice has room, as placement scores them.</summary>
    private IEnumerable<CandidateState> LoanCandidates(IEnumerable<(string DataCenterId, ResourceVector Amount, ResourceVector Room)> slices)
    {
        foreach (var (dataCenterId, amount, room) in slices)
        {
            if (_view.TryGetValue(dataCenterId, out var seen))
            {
                // The slice is what we may use there: score its load as the slice's, not the whole data center's, or an
                // unused slice would look full and the job would ask for yet another loan instead of using this one.
                yield return seen with { Spec = seen.Spec with { Capacity = amount }, Free = room };
            }
        }
    }
}
