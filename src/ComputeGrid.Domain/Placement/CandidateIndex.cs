using ComputeGrid.Domain.Accounting;
using ComputeGrid.Domain.Jobs;
using ComputeGrid.Domain.Resources;
using ComputeGrid.Domain.Topology;

namespace ComputeGrid.Domain.Placement;

/// <summary>
/// A region's view of the pool, kept in the orders placement ranks by, so that the head of a job's ranking and the
/// best place in the pool are found without scoring every data center. The answers are those of
/// <see cref="PlacementEngine.Plan"/> and <see cref="PlacementEngine.Best"/> over the same candidates, which stay the
/// reference (and what <c>explain</c> uses).
/// </summary>
/// <remarks>
/// <para>
/// For a job from the origin hub, each policy but Balanced scores a data center by a static key times one number of the
/// job, so each hub's data centers are kept sorted by that key: Greenest by PUE x grid factor x (1 - green share)
/// (times the job's IT kWh), Cheapest by PUE x price (times IT kWh, plus a transfer cost the same for the whole hub),
/// Fastest by latency from the origin (plus utilisation x 1e-3, below the key's next step by at most 1e-3 ms). A walk
/// goes in key order, scores what is feasible exactly as the engine does and stops as soon as every data center left is
/// worse on the score alone, beyond the tie window, than the last one it needs; data centers that share every number
/// the score depends on are kept in the comparator's tie order (latency, then id), so a walk leaves such a run once it
/// took as many as it needs. A tree over each order knows the most free capacity, least latency and least load below
/// each node, so full, draining and out-of-bound data centers are skipped a subtree at a time, not one by one.
/// The number of feasible data centers (for the reason's "n of m feasible") is counted on the same kind of tree.
/// </para>
/// <para>
/// Balanced divides by maxima over the whole feasible set and weighs load heavily, so no static order bounds it: it, a
/// job from another origin, and a topology with keys that are not finite numbers, take the full scan. The answers are
/// identical to the scan's as long as the comparator's ties are transitive (no three scores chained within 1e-9 of each
/// other without the ends being within it); where they are not, the scan's own order depends on the sort's internals.
/// </para>
/// </remarks>
public sealed class CandidateIndex
{
    private static readonly PlacementPolicy[] Indexed = [PlacementPolicy.Greenest, PlacementPolicy.Cheapest, PlacementPolicy.Fastest];

    /// <summary>A profile that turns a footprint's energy into the job's IT energy: PUE 1, nothing else.</summary>
    private static readonly EnergyProfile ItOnly = new(1, 0, 0, 0);

    /// <summary>A model index no order has: the job asks for a GPU model no indexed data center has, so none is feasible.</summary>
    private const int NoSuchModel = int.MaxValue;

    private readonly NationalTopology _topology;
    private readonly string _origin;
    private readonly CandidateTable _table;
    private readonly Dictionary<string, int> _byId = new(StringComparer.Ordinal);
    private readonly List<HubOrders> _hubs = [];
    private readonly int[] _hubOf;
    private readonly int[,] _position;
    private readonly int[] _agents;
    private readonly bool[] _usable;

    /// <summary>
    /// Indexes <paramref name="view"/> (each data center once; its order is the order the full scan sees) as seen from
    /// <paramref name="originHub"/>, the hub whose jobs the index answers for, on <paramref name="topology"/>.
    /// </summary>
    public CandidateIndex(NationalTopology topology, string originHub, IEnumerable<CandidateState> view)
    {
        _topology = topology;
        _origin = originHub;
        var states = view.ToList();
        _table = new CandidateTable(topology, originHub, states);
        for (var e = 0; e < states.Count; e++)
        {
            _byId.Add(states[e].Spec.Id, e);
        }

        _position = new int[Indexed.Length, states.Count];
        _hubOf = new int[states.Count];
        foreach (var hub in Enumerable.Range(0, states.Count).GroupBy(e => states[e].Spec.HubId, StringComparer.Ordinal))
        {
            var members = hub.ToArray();
            var orders = Indexed.Select(p => new CandidateOrder(_table, p, members, counts: p == PlacementPolicy.Fastest)).ToArray();
            for (var slot = 0; slot < Indexed.Length; slot++)
            {
                for (var position = 0; position < orders[slot].Entries.Length; position++)
                {
                    _position[slot, orders[slot].Entries[position]] = position;
                }
            }

            foreach (var e in members)
            {
                _hubOf[e] = _hubs.Count;
            }

            _hubs.Add(new HubOrders(hub.Key, members, orders));
        }

        var latencies = _table.Latency.All(double.IsFinite);
        _usable = [.. Enumerable.Range(0, Indexed.Length).Select(slot => latencies && _hubs.All(h => h.Orders[slot].Usable))];
        _agents = [.. Enumerable.Range(0, states.Count).Where(e => _table.Agent[e])];
    }

    /// <summary>The hub whose jobs the index answers for; others take the full scan.</summary>
    public string OriginHub => _origin;

    /// <summary>How many data centers it holds.</summary>
    public int Count => _table.States.Length;

    /// <summary>How many data centers its walks have scored since it was built: what a walk costs, for the tests that bound it.</summary>
    internal long Scored { get; private set; }

    /// <summary>Records a data center's free capacity and status as last seen; an unknown id changes nothing.</summary>
    public void Update(string dataCenterId, ResourceVector free, DataCenterStatus status)
    {
        if (!_byId.TryGetValue(dataCenterId, out var e))
        {
            return;
        }

        _table.Set(e, _table.States[e] with { Free = free, Status = status });
        var hub = _hubs[_hubOf[e]];
        for (var slot = 0; slot < Indexed.Length; slot++)
        {
            hub.Orders[slot].Refresh(_position[slot, e]);
        }
    }

    /// <summary>
    /// The head of <see cref="PlacementEngine.Plan"/>'s ranking for <paramref name="job"/> over the data centers of the hubs
    /// <paramref name="inHub"/> admits followed by <paramref name="extra"/> (scored as they are, one by one: loan slices),
    /// what <see cref="PlacementShortlist.Of"/> would give of that plan, with the counts of the whole pool
    /// (<see cref="PlacementEngine.CountInPool"/> over the index and <paramref name="extra"/>).
    /// </summary>
    public PlacementShortlist Shortlist(JobSpec job, Func<string, bool> inHub, IReadOnlyList<CandidateState> extra, int count)
    {
        var hubs = _hubs.Where(h => inHub(h.Id)).ToList();
        if (ProbeFor(job) is not { } probe)
        {
            var (inPool, ofPool) = PlacementEngine.CountInPool(job, _topology, _table.States, extra);
            return PlacementShortlist.Of(PlacementEngine.Plan(job, _topology, StatesOf(hubs).Concat(extra)), count) with { Feasible = inPool, Total = ofPool };
        }

        var want = Math.Max(count, 2);
        var top = new List<ScoredCandidate>(want + 1);
        var bound = job.LatencyClass.BoundMs();
        var outside = new HashSet<string>(StringComparer.Ordinal);
        var viaSlices = new HashSet<string>(StringComparer.Ordinal);
        foreach (var candidate in extra)
        {
            var id = candidate.Spec.Id;
            var indexed = _byId.TryGetValue(id, out var e);
            if (!indexed)
            {
                outside.Add(id);
            }

            var latency = _topology.LatencyMs(job.OriginHub, candidate.Spec);
            if (PlacementEngine.Fits(job, candidate, latency, bound, _topology))
            {
                Insert(job, top, Score(job, candidate, latency, PlacementEngine.UtilisationOf(candidate)), want);

                // Counted once: not when its own free capacity makes it feasible already (counted with its hub below).
                if (!indexed || !Fits(job, e, bound))
                {
                    viaSlices.Add(id);
                }
            }
        }

        foreach (var hub in hubs.Where(h => job.Allows(h.Id)))
        {
            Walk(job, hub, probe, want, top);
        }

        probe.Threshold = null;
        var feasible = viaSlices.Count;
        foreach (var hub in _hubs.Where(h => job.Allows(h.Id)))
        {
            feasible += probe.Model == NoSuchModel ? 0 : hub.Orders[SlotOf(PlacementPolicy.Fastest)].CountFeasible(probe, e => Fits(job, e, bound));
        }

        return new PlacementShortlist(job.Policy, top, feasible, Count + outside.Count);
    }

    /// <summary>
    /// What <see cref="PlacementEngine.Best"/> returns for <paramref name="job"/> over the data centers of the hubs
    /// <paramref name="inHub"/> admits (asked once per hub).
    /// </summary>
    public ScoredCandidate? Best(JobSpec job, Func<string, bool> inHub)
    {
        var hubs = _hubs.Where(h => inHub(h.Id)).ToList();
        if (ProbeFor(job) is not { } probe)
        {
            return PlacementEngine.Best(job, _topology, StatesOf(hubs));
        }

        var top = new List<ScoredCandidate>(2);
        foreach (var hub in hubs.Where(h => job.Allows(h.Id)))
        {
            Walk(job, hub, probe, 1, top);
        }

        return top.Count > 0 ? top[0] : null;
    }

    /// <summary>True when a data center in a hub the job allows has an agent (online or not) that runs its tenant's commands.</summary>
    public bool AnyAgentRuns(JobSpec job) =>
        _agents.Any(e => job.Allows(_table.States[e].Spec.HubId) && _table.States[e].CanRun(job));

    /// <summary>The walk's probe for the job, or null when the job takes the full scan.</summary>
    private CandidateProbe? ProbeFor(JobSpec job)
    {
        var slot = Array.IndexOf(Indexed, job.Policy.Ranking());
        if (slot < 0 || !_usable[slot] || job.OriginHub != _origin)
        {
            return null;
        }

        var itKwh = FootprintCalculator.Of(job.Resources, job.RunTime, ItOnly, _topology.Power).EnergyKwh;
        var transfer = job.InputDataGiB * _topology.TransferCnyPerGiB;
        if (!(itKwh >= 0 && double.IsFinite(itKwh) && double.IsFinite(transfer)))
        {
            return null;
        }

        var model = -1;
        if (job.Resources.EffectiveGpuModel is { } gpuModel)
        {
            model = Array.IndexOf(_table.Models, gpuModel);
            model = model < 0 ? NoSuchModel : model;
        }

        return new CandidateProbe
        {
            Cpu = job.Resources.CpuMillicores,
            Memory = job.Resources.MemoryMiB,
            Model = model,
            Gpus = model < 0 ? 0 : job.Resources.Gpus,
            BoundMs = job.LatencyClass.BoundMs() ?? double.PositiveInfinity,
            NeedsAgent = job.Command is not null,
            PriceCapped = job.MaxPriceCny is not null,
            ItKwh = itKwh,
        };
    }

    /// <summary>
    /// Walks <paramref name="hub"/>'s order for the job's policy, adding to <paramref name="top"/> (the best
    /// <paramref name="want"/> so far, best first) every feasible data center that may belong there.
    /// </summary>
    private void Walk(JobSpec job, HubOrders hub, CandidateProbe probe, int want, List<ScoredCandidate> top)
    {
        if (probe.Model == NoSuchModel)
        {
            return;
        }

        var order = hub.Orders[SlotOf(job.Policy.Ranking())];
        var grouped = job.Policy.Ranking() != PlacementPolicy.Fastest;
        var bound = job.LatencyClass.BoundMs();
        probe.TransferCny = (hub.Id == job.OriginHub ? 0 : job.InputDataGiB) * _topology.TransferCnyPerGiB;
        probe.Threshold = top.Count >= want ? top[want - 1].Score : null;
        var groupEnd = -1;
        var taken = 0;
        var position = order.Next(0, probe);
        while (position >= 0)
        {
            var e = order.Entries[position];
            var next = position + 1;
            if (Fits(job, e, bound))
            {
                Insert(job, top, Score(job, _table.States[e], _table.Latency[e], _table.Utilisation[e]), want);
                probe.Threshold = top.Count >= want ? top[want - 1].Score : null;
                if (grouped)
                {
                    // The rest of this run scores the same and comes later in the tie order: behind the ones taken.
                    taken = order.GroupEnd[position] == groupEnd ? taken + 1 : 1;
                    groupEnd = order.GroupEnd[position];
                    next = taken >= want ? groupEnd : next;
                }
            }

            position = order.Next(next, probe);
        }
    }

    private bool Fits(JobSpec job, int e, double? bound) => PlacementEngine.Fits(job, _table.States[e], _table.Latency[e], bound, _topology);

    private ScoredCandidate Score(JobSpec job, CandidateState candidate, double latency, double utilisation)
    {
        Scored++;
        var estimate = PlacementEngine.EstimateAt(job, _topology, candidate.Spec);
        return new ScoredCandidate(candidate.Spec.Id, candidate.Spec.HubId, latency, estimate, utilisation, PlacementEngine.ScoreOf(job.Policy, latency, estimate, utilisation));
    }

    /// <summary>Inserts <paramref name="candidate"/> in comparator order, keeping only the first <paramref name="want"/>.</summary>
    private static void Insert(JobSpec job, List<ScoredCandidate> top, ScoredCandidate candidate, int want)
    {
        var at = top.Count;
        while (at > 0 && PlacementEngine.Compare(job, candidate, top[at - 1]) < 0)
        {
            at--;
        }

        if (at >= want)
        {
            return;
        }

        top.Insert(at, candidate);
        if (top.Count > want)
        {
            top.RemoveAt(want);
        }
    }

    /// <summary>The data centers of <paramref name="hubs"/> in the order the index was given them (the full scan's order).</summary>
    private IEnumerable<CandidateState> StatesOf(List<HubOrders> hubs)
    {
        var ids = hubs.Select(h => h.Id).ToHashSet(StringComparer.Ordinal);
        return _table.States.Where(s => ids.Contains(s.Spec.HubId));
    }

    private static int SlotOf(PlacementPolicy policy) => Array.IndexOf(Indexed, policy);

    /// <summary>One hub's data centers: their entries in view order, and one order per indexed policy.</summary>
    private sealed record HubOrders(string Id, int[] Members, CandidateOrder[] Orders);
}
