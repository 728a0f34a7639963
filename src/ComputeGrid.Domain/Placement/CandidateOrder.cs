using ComputeGrid.Domain.Jobs;

namespace ComputeGrid.Domain.Placement;

/// <summary>
/// What a walk or a count over a <see cref="CandidateOrder"/> asks of a data center before the exact rules
/// (<see cref="PlacementEngine.Fits"/>) and the exact score: necessary conditions only, so nothing feasible is skipped.
/// </summary>
internal sealed class CandidateProbe
{
    /// <summary>The request's CPU, millicores.</summary>
    public long Cpu { get; init; }

    /// <summary>The request's memory, MiB.</summary>
    public long Memory { get; init; }

    /// <summary>The request's GPU model as an index into <see cref="CandidateTable.Models"/>; -1 when it asks for no GPU.</summary>
    public int Model { get; init; } = -1;

    /// <summary>GPUs of <see cref="Model"/> it asks for.</summary>
    public int Gpus { get; init; }

    /// <summary>Its latency bound, ms; +infinity when it has none.</summary>
    public double BoundMs { get; init; } = double.PositiveInfinity;

    /// <summary>True when it has a command, so only data centers with an agent can run it.</summary>
    public bool NeedsAgent { get; init; }

    /// <summary>True when it carries a price cap: no subtree is counted whole, each data center's price is checked.</summary>
    public bool PriceCapped { get; init; }

    /// <summary>Its IT energy, kWh (the factor every data center's Greenest and Cheapest key is multiplied by).</summary>
    public double ItKwh { get; init; }

    /// <summary>Its transfer cost outside the origin hub, CNY, for the hub being walked (0 at home).</summary>
    public double TransferCny { get; set; }

    /// <summary>
    /// The score of the last candidate the walk still needs (its k-th best so far), or null while it has fewer: what is
    /// strictly worse than this by more than the tie window cannot enter the ranking's head.
    /// </summary>
    public double? Threshold { get; set; }
}

/// <summary>
/// The data centers of one hub in the order of one policy's static key, for one origin, with a tree over blocks of
/// that order holding, per subtree, what the data centers in it can at best offer (most free capacity, least latency,
/// least load, whether any is online or has an agent). A walk in key order skips every subtree that cannot hold a
/// feasible data center, so a front of full, draining or out-of-bound data centers costs one tree descent, not a scan.
/// With <c>counts</c> it also keeps the least of each (and the most latency), so a count of the feasible data centers
/// takes whole subtrees that all fit or all fail at once.
/// </summary>
internal sealed class CandidateOrder
{
    /// <summary>Data centers per leaf of the tree: a leaf is scanned, a node is judged by its aggregates.</summary>
    private const int Block = 8;

    /// <summary>
    /// Relative slack between a data center's static key times the job's IT energy and its score as the footprint
    /// arithmetic rounds it (a few ulps, about 1e-15): a bound used for pruning must never exceed the real score.
    /// </summary>
    private const double KeySlack = 1e-12;

    /// <summary>Absolute slack besides: rounding in the subnormal range is not relative.</summary>
    private const double TinySlack = 1e-300;

    private readonly CandidateTable _table;
    private readonly PlacementPolicy _policy;
    private readonly int _blocks;
    private readonly int _size;
    private readonly int _models;
    private readonly int[] _live;
    private readonly long[] _maxFreeCpu;
    private readonly long[] _maxFreeMemory;
    private readonly int[] _maxFreeGpus;
    private readonly double[] _minLatency;
    private readonly double[] _minUtilisation;
    private readonly bool[] _anyAgent;
    private readonly Counts? _counts;

    /// <summary>Orders <paramref name="members"/> (entries of <paramref name="table"/>) by <paramref name="policy"/>'s key.</summary>
    public CandidateOrder(CandidateTable table, PlacementPolicy policy, IReadOnlyList<int> members, bool counts)
    {
        _table = table;
        _policy = policy;
        Entries = [.. members];
        Array.Sort(Entries, Comparer(table, policy));
        Keys = [.. Entries.Select(e => KeyOf(table, policy, e))];
        GroupEnd = new int[Entries.Length];
        for (var end = Entries.Length; end > 0;)
        {
            var start = end - 1;
            while (start > 0 && policy != PlacementPolicy.Fastest && SameScoreParameters(table, policy, Entries[start - 1], Entries[end - 1]))
            {
                start--;
            }

            Array.Fill(GroupEnd, end, start, end - start);
            end = start;
        }

        _blocks = (Entries.Length + Block - 1) / Block;
        _size = 1;
        while (_size < Math.Max(1, _blocks))
        {
            _size *= 2;
        }

        _models = table.Models.Length;
        var nodes = 2 * _size;
        _live = new int[nodes];
        _maxFreeCpu = new long[nodes];
        _maxFreeMemory = new long[nodes];
        _maxFreeGpus = new int[nodes * _models];
        _minLatency = new double[nodes];
        _minUtilisation = new double[nodes];
        _anyAgent = new bool[nodes];
        _counts = counts ? new Counts(nodes, _models) : null;
        for (var b = 0; b < _size; b++)
        {
            Gather(_size + b);
        }

        for (var node = _size - 1; node >= 1; node--)
        {
            Merge(node);
        }
    }

    /// <summary>Entries of the table, in key order (ties: score parameters, then latency from the origin, then id).</summary>
    public int[] Entries { get; }

    /// <summary>The static key at each position: PUE x grid x (1 - green) for Greenest, PUE x price for Cheapest, latency for Fastest.</summary>
    public double[] Keys { get; }

    /// <summary>
    /// For Greenest and Cheapest, the end (exclusive) of the run of positions whose data centers share every number the
    /// score depends on, so score the same for any job: within it the order is the comparator's (latency, then id).
    /// </summary>
    public int[] GroupEnd { get; }

    /// <summary>True when the key orders data centers by a lower bound of their score (no key is NaN or infinite).</summary>
    public bool Usable => Keys.All(double.IsFinite);

    /// <summary>Recomputes what the tree knows of the data center at <paramref name="position"/> after it changed.</summary>
    public void Refresh(int position)
    {
        var node = _size + (position / Block);
        Gather(node);
        for (node /= 2; node >= 1; node /= 2)
        {
            Merge(node);
        }
    }

    /// <summary>
    /// The first position at or after <paramref name="from"/> whose data center may be feasible for the probe's job and
    /// may score no worse than its threshold; -1 when none.
    /// </summary>
    public int Next(int from, CandidateProbe probe) =>
        from >= Entries.Length ? -1 : Find(1, 0, _size, from, probe);

    /// <summary>How many data centers of this order are feasible for the probe's job; <paramref name="fits"/> decides single ones.</summary>
    public int CountFeasible(CandidateProbe probe, Func<int, bool> fits) =>
        _counts is null ? throw new InvalidOperationException("this order keeps no counts") : Count(1, 0, _size, probe, fits);

    private int Find(int node, int firstBlock, int endBlock, int from, CandidateProbe probe)
    {
        if (endBlock * Block <= from || firstBlock >= _blocks || !MayHold(node, firstBlock, probe))
        {
            return -1;
        }

        if (node >= _size)
        {
            var end = Math.Min(Entries.Length, endBlock * Block);
            for (var position = Math.Max(from, firstBlock * Block); position < end; position++)
            {
                if (MayHold(position, probe))
                {
                    return position;
                }
            }

            return -1;
        }

        var middle = (firstBlock + endBlock) / 2;
        var left = Find(2 * node, firstBlock, middle, from, probe);
        return left >= 0 ? left : Find((2 * node) + 1, middle, endBlock, from, probe);
    }

    private int Count(int node, int firstBlock, int endBlock, CandidateProbe probe, Func<int, bool> fits)
    {
        var c = _counts!;
        if (firstBlock >= _blocks || !MayFit(node, probe))
        {
            return 0;
        }

        if (!probe.PriceCapped
            && c.MaxLatency[node] <= probe.BoundMs
            && c.MinCapacityCpu[node] >= probe.Cpu && c.MinCapacityMemory[node] >= probe.Memory
            && c.MinFreeCpu[node] >= probe.Cpu && c.MinFreeMemory[node] >= probe.Memory
            && (probe.Model < 0 || (c.MinCapacityGpus[(node * _models) + probe.Model] >= probe.Gpus && c.MinFreeGpus[(node * _models) + probe.Model] >= probe.Gpus))
            && (!probe.NeedsAgent || c.AllRunAnyTenant[node]))
        {
            return _live[node];
        }

        if (node >= _size)
        {
            var count = 0;
            var end = Math.Min(Entries.Length, endBlock * Block);
            for (var position = firstBlock * Block; position < end; position++)
            {
                count += fits(Entries[position]) ? 1 : 0;
            }

            return count;
        }

        var middle = (firstBlock + endBlock) / 2;
        return Count(2 * node, firstBlock, middle, probe, fits) + Count((2 * node) + 1, middle, endBlock, probe, fits);
    }

    /// <summary>Whether some online data center under <paramref name="node"/> may take the job (resources, latency bound, agent).</summary>
    private bool MayFit(int node, CandidateProbe probe) =>
        _live[node] > 0
        && _maxFreeCpu[node] >= probe.Cpu
        && _maxFreeMemory[node] >= probe.Memory
        && (probe.Model < 0 || _maxFreeGpus[(node * _models) + probe.Model] >= probe.Gpus)
        && _minLatency[node] <= probe.BoundMs
        && (!probe.NeedsAgent || _anyAgent[node]);

    private bool MayHold(int node, int firstBlock, CandidateProbe probe) =>
        MayFit(node, probe)
        && !(probe.Threshold is { } threshold && StrictlyWorse(LowerBound(Keys[firstBlock * Block], _minLatency[node], _minUtilisation[node], probe), threshold));

    /// <summary>The same test as <see cref="MayHold(int, int, CandidateProbe)"/> for the single data center at <paramref name="position"/>.</summary>
    private bool MayHold(int position, CandidateProbe probe)
    {
        var t = _table;
        var e = Entries[position];
        var model = probe.Model < 0 ? -1 : (e * _models) + probe.Model;
        return t.Live[e]
            && t.FreeCpu[e] >= probe.Cpu
            && t.FreeMemory[e] >= probe.Memory
            && (model < 0 || t.FreeGpus[model] >= probe.Gpus)
            && t.Latency[e] <= probe.BoundMs
            && (!probe.NeedsAgent || t.Agent[e])
            && !(probe.Threshold is { } threshold && StrictlyWorse(LowerBound(Keys[position], t.Latency[e], t.Utilisation[e], probe), threshold));
    }

    /// <summary>
    /// A bound no data center from here on (keys only grow) scores below. Greenest and Cheapest: the key times the job's IT
    /// energy (plus the hub's transfer cost), less the rounding slack. Fastest: latency + utilisation x 1e-3 exactly as
    /// scored, from the least latency and the least utilisation (rounding is monotonic, so it is a bound).
    /// </summary>
    private double LowerBound(double key, double latency, double utilisation, CandidateProbe probe)
    {
        if (_policy == PlacementPolicy.Fastest)
        {
            return latency + (utilisation * 1e-3);
        }

        var energy = probe.ItKwh * key;
        var bound = energy - (KeySlack * Math.Abs(energy)) - TinySlack;
        return _policy == PlacementPolicy.Cheapest ? bound + probe.TransferCny - (KeySlack * Math.Abs(probe.TransferCny)) : bound;
    }

    /// <summary>
    /// True when every score at least <paramref name="bound"/> loses to <paramref name="threshold"/> on the score alone,
    /// both ways round, beyond <see cref="PlacementEngine.TieEpsilon"/> (with a factor of 2 for the rounding of this test).
    /// </summary>
    private static bool StrictlyWorse(double bound, double threshold) =>
        bound - threshold > 2 * PlacementEngine.TieEpsilon * Math.Max(1, Math.Max(Math.Abs(threshold), Math.Abs(bound)));

    private void Gather(int node)
    {
        var block = node - _size;
        _live[node] = 0;
        _maxFreeCpu[node] = long.MinValue;
        _maxFreeMemory[node] = long.MinValue;
        Array.Fill(_maxFreeGpus, int.MinValue, node * _models, _models);
        _minLatency[node] = double.PositiveInfinity;
        _minUtilisation[node] = double.PositiveInfinity;
        _anyAgent[node] = false;
        _counts?.Reset(node);
        var t = _table;
        var end = Math.Min(Entries.Length, (block + 1) * Block);
        for (var position = block * Block; position < end; position++)
        {
            var e = Entries[position];
            if (!t.Live[e])
            {
                continue;
            }

            _live[node]++;
            _maxFreeCpu[node] = Math.Max(_maxFreeCpu[node], t.FreeCpu[e]);
            _maxFreeMemory[node] = Math.Max(_maxFreeMemory[node], t.FreeMemory[e]);
            for (var m = 0; m < _models; m++)
            {
                _maxFreeGpus[(node * _models) + m] = Math.Max(_maxFreeGpus[(node * _models) + m], t.FreeGpus[(e * _models) + m]);
            }

            _minLatency[node] = Math.Min(_minLatency[node], t.Latency[e]);
            _minUtilisation[node] = Math.Min(_minUtilisation[node], t.Utilisation[e]);
            _anyAgent[node] |= t.Agent[e];
            _counts?.Add(node, t, e);
        }
    }

    private void Merge(int node)
    {
        int l = 2 * node, r = l + 1;
        _live[node] = _live[l] + _live[r];
        _maxFreeCpu[node] = Math.Max(_maxFreeCpu[l], _maxFreeCpu[r]);
        _maxFreeMemory[node] = Math.Max(_maxFreeMemory[l], _maxFreeMemory[r]);
        for (var m = 0; m < _models; m++)
        {
            _maxFreeGpus[(node * _models) + m] = Math.Max(_maxFreeGpus[(l * _models) + m], _maxFreeGpus[(r * _models) + m]);
        }

        _minLatency[node] = Math.Min(_minLatency[l], _minLatency[r]);
        _minUtilisation[node] = Math.Min(_minUtilisation[l], _minUtilisation[r]);
        _anyAgent[node] = _anyAgent[l] || _anyAgent[r];
        _counts?.Merge(node, l, r);
    }

    private static double KeyOf(CandidateTable table, PlacementPolicy policy, int e)
    {
        var energy = table.States[e].Spec.Energy;
        return policy switch
        {
            PlacementPolicy.Greenest => energy.EffectiveKgCo2PerItKwh,
            PlacementPolicy.Cheapest => energy.Pue * energy.PriceCnyPerKwh,
            _ => table.Latency[e],
        };
    }

    /// <summary>True when the two data centers score the same for every job under the policy (same hub is given).</summary>
    private static bool SameScoreParameters(CandidateTable table, PlacementPolicy policy, int a, int b)
    {
        var x = table.States[a].Spec.Energy;
        var y = table.States[b].Spec.Energy;
        return policy == PlacementPolicy.Greenest
            ? x.Pue.Equals(y.Pue) && x.GridKgCo2PerKwh.Equals(y.GridKgCo2PerKwh) && x.GreenShare.Equals(y.GreenShare)
            : x.Pue.Equals(y.Pue) && x.PriceCnyPerKwh.Equals(y.PriceCnyPerKwh);
    }

    private static Comparison<int> Comparer(CandidateTable table, PlacementPolicy policy) => (a, b) =>
    {
        var byKey = KeyOf(table, policy, a).CompareTo(KeyOf(table, policy, b));
        if (byKey != 0 || policy == PlacementPolicy.Fastest)
        {
            return byKey != 0 ? byKey : string.CompareOrdinal(table.States[a].Spec.Id, table.States[b].Spec.Id);
        }

        // Data centers with the same score parameters next to each other, so each such run is one group.
        var x = table.States[a].Spec.Energy;
        var y = table.States[b].Spec.Energy;
        var byParameters = x.Pue.CompareTo(y.Pue);
        if (byParameters == 0 && policy == PlacementPolicy.Greenest)
        {
            byParameters = x.GridKgCo2PerKwh.CompareTo(y.GridKgCo2PerKwh);
            byParameters = byParameters != 0 ? byParameters : x.GreenShare.CompareTo(y.GreenShare);
        }
        else if (byParameters == 0)
        {
            byParameters = x.PriceCnyPerKwh.CompareTo(y.PriceCnyPerKwh);
        }

        if (byParameters != 0)
        {
            return byParameters;
        }

        var byLatency = table.Latency[a].CompareTo(table.Latency[b]);
        return byLatency != 0 ? byLatency : string.CompareOrdinal(table.States[a].Spec.Id, table.States[b].Spec.Id);
    };

    /// <summary>The least of each resource (free and total), the most latency and whether all run any tenant's commands, per node.</summary>
    private sealed class Counts(int nodes, int models)
    {
        public long[] MinFreeCpu { get; } = new long[nodes];

        public long[] MinFreeMemory { get; } = new long[nodes];

        public int[] MinFreeGpus { get; } = new int[nodes * models];

        public long[] MinCapacityCpu { get; } = new long[nodes];

        public long[] MinCapacityMemory { get; } = new long[nodes];

        public int[] MinCapacityGpus { get; } = new int[nodes * models];

        public double[] MaxLatency { get; } = new double[nodes];

        public bool[] AllRunAnyTenant { get; } = new bool[nodes];

        public void Reset(int node)
        {
            MinFreeCpu[node] = long.MaxValue;
            MinFreeMemory[node] = long.MaxValue;
            Array.Fill(MinFreeGpus, int.MaxValue, node * models, models);
            MinCapacityCpu[node] = long.MaxValue;
            MinCapacityMemory[node] = long.MaxValue;
            Array.Fill(MinCapacityGpus, int.MaxValue, node * models, models);
            MaxLatency[node] = double.NegativeInfinity;
            AllRunAnyTenant[node] = true;
        }

        public void Add(int node, CandidateTable t, int e)
        {
            MinFreeCpu[node] = Math.Min(MinFreeCpu[node], t.FreeCpu[e]);
            MinFreeMemory[node] = Math.Min(MinFreeMemory[node], t.FreeMemory[e]);
            MinCapacityCpu[node] = Math.Min(MinCapacityCpu[node], t.CapacityCpu[e]);
            MinCapacityMemory[node] = Math.Min(MinCapacityMemory[node], t.CapacityMemory[e]);
            for (var m = 0; m < models; m++)
            {
                MinFreeGpus[(node * models) + m] = Math.Min(MinFreeGpus[(node * models) + m], t.FreeGpus[(e * models) + m]);
                MinCapacityGpus[(node * models) + m] = Math.Min(MinCapacityGpus[(node * models) + m], t.CapacityGpus[(e * models) + m]);
            }

            MaxLatency[node] = Math.Max(MaxLatency[node], t.Latency[e]);
            AllRunAnyTenant[node] &= t.RunsAnyTenant[e];
        }

        public void Merge(int node, int l, int r)
        {
            MinFreeCpu[node] = Math.Min(MinFreeCpu[l], MinFreeCpu[r]);
            MinFreeMemory[node] = Math.Min(MinFreeMemory[l], MinFreeMemory[r]);
            MinCapacityCpu[node] = Math.Min(MinCapacityCpu[l], MinCapacityCpu[r]);
            MinCapacityMemory[node] = Math.Min(MinCapacityMemory[l], MinCapacityMemory[r]);
            for (var m = 0; m < models; m++)
            {
                MinFreeGpus[(node * models) + m] = Math.Min(MinFreeGpus[(l * models) + m], MinFreeGpus[(r * models) + m]);
                MinCapacityGpus[(node * models) + m] = Math.Min(MinCapacityGpus[(l * models) + m], MinCapacityGpus[(r * models) + m]);
            }

            MaxLatency[node] = Math.Max(MaxLatency[l], MaxLatency[r]);
            AllRunAnyTenant[node] = AllRunAnyTenant[l] && AllRunAnyTenant[r];
        }
    }
}
