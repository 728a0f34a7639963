using System.Diagnostics;
using ComputeGrid.Client;
using ComputeGrid.Domain.Accounting;
using ComputeGrid.Domain.Resources;
using ComputeGrid.Domain.Topology;
using ComputeGrid.Replay.Load;
using Google.OrTools.LinearSolver;

namespace ComputeGrid.Replay.Optimum;

/// <summary>What the optimum minimises.</summary>
public enum OptimumObjective
{
    /// <summary>Total emissions, kgCO2.</summary>
    Carbon,

    /// <summary>Total cost, CNY.</summary>
    Cost,
}

/// <summary>One job for the optimum: its request and when it arrives (after the trace's start).</summary>
/// <param name="Request">The request as submitted (origin, size, GPU model, run time, latency class, allowed hubs).</param>
/// <param name="Arrival">Its submission time.</param>
public sealed record OptimumJob(JobRequest Request, TimeSpan Arrival);

/// <summary>How the LP is cut into time.</summary>
/// <param name="Slot">Slot length; capacity is enforced on each slot's average.</param>
/// <param name="MaxWait">The longest a job may wait: its work is done within [arrival, arrival + max wait + run time].</param>
public sealed record OptimumSettings(TimeSpan Slot, TimeSpan MaxWait)
{
    /// <summary>One-hour slots, jobs wait at most a day.</summary>
    public static OptimumSettings Default { get; } = new(TimeSpan.FromHours(1), TimeSpan.FromHours(24));
}

/// <summary>The bound for one objective.</summary>
/// <param name="Objective">What was minimised.</param>
/// <param name="Feasible">False when no schedule within the wait bound fits the capacity (the LP is infeasible).</param>
/// <param name="Value">The lower bound, kgCO2 or CNY; NaN when infeasible.</param>
/// <param name="SolveTime">The solver's time.</param>
public sealed record OptimumBound(OptimumObjective Objective, bool Feasible, double Value, TimeSpan SolveTime);

/// <summary>The optimum's LP and its bounds.</summary>
/// <param name="Jobs">Jobs in the LP.</param>
/// <param name="Groups">Job groups after aggregation (same shape, origin, constraints, arrival slot and last slot).</param>
/// <param name="Unplaceable">Jobs that fit no usable data center even empty (the federation rejects them; left out).</param>
/// <param name="Slots">Time slots.</param>
/// <param name="Variables">LP columns.</param>
/// <param name="Constraints">LP rows.</param>
/// <param name="QuotaRows">Of <paramref name="Constraints"/>, the rows of the hubs' lending and borrowing limits.</param>
/// <param name="BuildTime">Time to build the LP.</param>
/// <param name="Carbon">The carbon bound.</param>
/// <param name="Cost">The cost bound.</param>
public sealed record OptimumResult(int Jobs, int Groups, int Unplaceable, int Slots, int Variables, int Constraints, int QuotaRows, TimeSpan BuildTime, OptimumBound Carbon, OptimumBound Cost)
{
    /// <summary>The LP's size and times in one line.</summary>
    public string Describe() => FormattableString.Invariant(
        $"LP {Variables:N0} variables x {Constraints:N0} constraints, {QuotaRows:N0} of them quota rows ({Jobs} jobs in {Groups} groups, {Slots} slots{(Unplaceable > 0 ? $", {Unplaceable} unplaceable jobs left out" : string.Empty)}); built in {BuildTime.TotalSeconds:F1} s, carbon solved in {Carbon.SolveTime.TotalSeconds:F1} s, cost in {Cost.SolveTime.TotalSeconds:F1} s");
}

/// <summary>
/// A lower bound on the total carbon (and, separately, the total cost) any placement of the same jobs could reach: an LP
/// relaxation over time slots, solved with GLOP. A variable is the work (job-hours) of a job group run in one data center
/// in one slot. Each group's work is done exactly once, within its jobs' windows (arrival slot to the slot of arrival +
/// max wait + run time), only in data centers its jobs may use (allowed hubs, latency class from the origin, GPU model,
/// large enough), at most one job-hour per job per hour of slot, and within every data center's CPU, memory and GPUs of
/// each model on each slot's average, and within the hubs' quotas on each slot's average: a hub's data centers serve other
/// hubs' jobs at most up to its lending limit, and a hub's jobs use other hubs' data centers at most up to its borrowing
/// limit (CPU, memory and each GPU model a limit names; the federation runs a job outside its origin hub only on a loan,
/// and its open loans never exceed either limit). Carbon and cost per job-hour are ComputeGrid's own estimate
/// (<see cref="FootprintCalculator"/>: energy x PUE x grid factor x (1 - green share); energy x price plus input data
/// moved), so the bound is on the same scale as a replay's measured totals.
/// </summary>
public static class OfflineOptimum
{
    /// <summary>Builds the LP for <paramref name="jobs"/> on <paramref name="topology"/> and solves it for carbon and for cost.</summary>
    public static OptimumResult Solve(IReadOnlyList<OptimumJob> jobs, NationalTopology topology, OptimumSettings settings)
    {
        if (settings.Slot <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(settings), settings.Slot, "the slot length must be above zero");
        }

        var build = Stopwatch.StartNew();
        var slotHours = settings.Slot.TotalHours;
        var dataCenters = topology.DataCenters.Values.OrderBy(d => d.Id, StringComparer.Ordinal).ToList();
        var groups = new Dictionary<GroupKey, Group>();
        var unplaceable = 0;
        foreach (var job in jobs)
        {
            var r = job.Request;
            var usable = LoadScaling.UsableBy(r, topology).Where(d => d.Capacity.Fits(r.ToSpec().Resources)).Select(d => d.Id).Order(StringComparer.Ordinal).ToList();
            if (usable.Count == 0)
            {
                unplaceable++;
                continue;
            }

            var first = (int)Math.Floor(job.Arrival / settings.Slot);
            var last = (int)Math.Ceiling((job.Arrival + settings.MaxWait + r.RunTime) / settings.Slot) - 1;
            var key = new GroupKey(r.CpuMillicores, r.MemoryMiB, r.Gpus, r.Gpus > 0 ? r.GpuModel : null, r.OriginHub, string.Join(',', usable), first, Math.Max(first, last));
            if (!groups.TryGetValue(key, out var group))
            {
                groups[key] = group = new Group(key, usable);
            }

            group.Count++;
            group.WorkHours += r.RunTime.TotalHours;
            var spec = r.ToSpec();
            foreach (var id in usable)
            {
                var d = topology.DataCenters[id];
                var footprint = FootprintCalculator.Of(spec.Resources, r.RunTime, d.Energy, topology.Power, d.HubId == r.OriginHub ? 0 : r.InputDataGiB, topology.TransferCnyPerGiB);
                group.Carbon[id] = group.Carbon.GetValueOrDefault(id) + footprint.CarbonKg;
                group.Cost[id] = group.Cost.GetValueOrDefault(id) + footprint.CostCny;
            }
        }

        var slots = groups.Count == 0 ? 0 : groups.Keys.Max(k => k.Last) + 1;
        using var solver = Solver.CreateSolver("GLOP") ?? throw new InvalidOperationException("OR-Tools has no GLOP solver");
        var columns = new List<(Group Group, string DataCenter, Variable Variable)>();

        // Capacity rows per data center, slot and dimension, created on first use.
        var capacity = new Dictionary<(string DataCenter, int Slot, string Dimension), Constraint>();
        Constraint CapacityRow(DataCenterSpec d, int slot, string dimension, double available)
        {
            if (!capacity.TryGetValue((d.Id, slot, dimension), out var row))
            {
                capacity[(d.Id, slot, dimension)] = row = solver.MakeConstraint(double.NegativeInfinity, available * slotHours, string.Empty);
            }

            return row;
        }

        // Quota rows per hub, slot and dimension, created on first use: what other hubs' jobs use of the lender's data
        // centers, and what the borrower's jobs use of other hubs' data centers. A limit at or above what it could ever
        // cover (the lender's own capacity, or everything outside the borrower) gets no row: capacity holds it already.
        var lending = new Dictionary<(string Hub, int Slot, string Dimension), Constraint>();
        var borrowing = new Dictionary<(string Hub, int Slot, string Dimension), Constraint>();
        var ownCapacity = topology.Hubs.Keys.ToDictionary(h => h, h => Sum(dataCenters.Where(d => d.HubId == h)), StringComparer.Ordinal);
        var total = Sum(dataCenters);
        void AddQuota(Dictionary<(string Hub, int Slot, string Dimension), Constraint> rows, string hub, ResourceVector? limit, ResourceVector reach, int slot, GroupKey key, Variable x)
        {
            if (limit is null)
            {
                return;
            }

            Add("cpu", limit.CpuMillicores / 1000.0, reach.CpuMillicores / 1000.0, key.CpuMillicores / 1000.0);
            Add("memory", limit.MemoryMiB / 1024.0, reach.MemoryMiB / 1024.0, key.MemoryMiB / 1024.0);
            if (key.GpuModel is { } model && limit.Gpus.TryGetValue(model, out var gpus))
            {
                Add("gpu:" + model, gpus, reach.GpusOf(model), key.Gpus);
            }

            void Add(string dimension, double allowed, double couldUse, double use)
            {
                if (allowed >= couldUse)
                {
                    return;
                }

                if (!rows.TryGetValue((hub, slot, dimension), out var row))
                {
                    rows[(hub, slot, dimension)] = row = solver.MakeConstraint(double.NegativeInfinity, allowed * slotHours, string.Empty);
                }

                row.SetCoefficient(x, use);
            }
        }

        foreach (var group in groups.Values.OrderBy(g => g.Key.First).ThenBy(g => g.Key.ToString(), StringComparer.Ordinal))
        {
            var key = group.Key;
            var once = solver.MakeConstraint(group.WorkHours, group.WorkHours, string.Empty);
            for (var t = key.First; t <= key.Last; t++)
            {
                var rate = solver.MakeConstraint(double.NegativeInfinity, group.Count * slotHours, string.Empty);
                foreach (var id in group.Usable)
                {
                    var d = topology.DataCenters[id];
                    var x = solver.MakeNumVar(0, double.PositiveInfinity, string.Empty);
                    columns.Add((group, id, x));
                    once.SetCoefficient(x, 1);
                    rate.SetCoefficient(x, 1);
                    CapacityRow(d, t, "cpu", d.Capacity.CpuMillicores / 1000.0).SetCoefficient(x, key.CpuMillicores / 1000.0);
                    CapacityRow(d, t, "memory", d.Capacity.MemoryMiB / 1024.0).SetCoefficient(x, key.MemoryMiB / 1024.0);
                    if (key.GpuModel is { } model)
                    {
                        CapacityRow(d, t, "gpu:" + model, d.Capacity.GpusOf(model)).SetCoefficient(x, key.Gpus);
                    }

                    if (d.HubId != key.Origin)
                    {
                        AddQuota(lending, d.HubId, topology.Hubs.GetValueOrDefault(d.HubId)?.Quota?.LendingLimit, ownCapacity.GetValueOrDefault(d.HubId, ResourceVector.Zero), t, key, x);
                        AddQuota(borrowing, key.Origin, topology.Hubs.GetValueOrDefault(key.Origin)?.Quota?.BorrowingLimit, total.Minus(ownCapacity.GetValueOrDefault(key.Origin, ResourceVector.Zero)), t, key, x);
                    }
                }
            }
        }

        build.Stop();
        var carbon = Minimise(solver, columns, OptimumObjective.Carbon);
        var cost = Minimise(solver, columns, OptimumObjective.Cost);
        return new OptimumResult(jobs.Count - unplaceable, groups.Count, unplaceable, slots, solver.NumVariables(), solver.NumConstraints(), lending.Count + borrowing.Count, build.Elapsed, carbon, cost);
    }

    private static OptimumBound Minimise(Solver solver, List<(Group Group, string DataCenter, Variable Variable)> columns, OptimumObjective objective)
    {
        var clock = Stopwatch.StartNew();
        var goal = solver.Objective();
        goal.Clear();
        foreach (var (group, dataCenter, x) in columns)
        {
            var total = objective == OptimumObjective.Carbon ? group.Carbon[dataCenter] : group.Cost[dataCenter];
            goal.SetCoefficient(x, total / group.WorkHours);
        }

        goal.SetMinimization();
        var status = solver.Solve();
        clock.Stop();
        return status == Solver.ResultStatus.OPTIMAL
            ? new OptimumBound(objective, true, goal.Value(), clock.Elapsed)
            : new OptimumBound(objective, false, double.NaN, clock.Elapsed);
    }

    private static ResourceVector Sum(IEnumerable<DataCenterSpec> dataCenters) =>
        dataCenters.Aggregate(ResourceVector.Zero, (sum, d) => sum.Plus(d.Capacity));

    private sealed record GroupKey(long CpuMillicores, long MemoryMiB, int Gpus, string? GpuModel, string Origin, string Usable, int First, int Last);

    private sealed class Group(GroupKey key, IReadOnlyList<string> usable)
    {
        public GroupKey Key { get; } = key;

        public IReadOnlyList<string> Usable { get; } = usable;

        public int Count { get; set; }

        public double WorkHours { get; set; }

        public Dictionary<string, double> Carbon { get; } = new(StringComparer.Ordinal);

        public Dictionary<string, double> Cost { get; } = new(StringComparer.Ordinal);
    }
}
