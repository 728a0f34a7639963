using ComputeGrid.Client;
using ComputeGrid.Domain.Accounting;
using ComputeGrid.Domain.Jobs;
using ComputeGrid.Domain.Resources;
using ComputeGrid.Domain.Topology;
using ComputeGrid.Replay.Optimum;

namespace ComputeGrid.Replay.Tests;

/// <summary>The offline optimum on instances small enough to solve by hand.</summary>
public sealed class OfflineOptimumTests
{
    // 1,000 W per core and nothing else: one core for one hour is exactly 1 kWh (PUE 1).
    private static readonly PowerModel Power = new(1000, 0, new Dictionary<string, double>(), 400);

    // East "dirty": 1 kgCO2/kWh at 1 CNY/kWh. West "clean", about 29 ms from the east: 0.5 kgCO2/kWh at 2 CNY/kWh.
    private static NationalTopology TwoDataCenters(int coresEach) => new(
        [new Hub("e", "East", "东", Zone.East, new GeoPoint(30, 120)), new Hub("w", "West", "西", Zone.West, new GeoPoint(40, 80))],
        [
            new DataCenterSpec("dirty", "Dirty", "e", new GeoPoint(30, 120), ResourceVector.Of(coresEach * 1000L, coresEach * 4096L), new EnergyProfile(1, 1.0, 0, 1.0)),
            new DataCenterSpec("clean", "Clean", "w", new GeoPoint(40, 80), ResourceVector.Of(coresEach * 1000L, coresEach * 4096L), new EnergyProfile(1, 0.5, 0, 2.0)),
        ],
        Power,
        LatencyModel.Default,
        0,
        []);

    private static OptimumJob Job(string id, TimeSpan arrival, TimeSpan runTime, long cores = 1, LatencyClass latency = LatencyClass.Batch) => new(
        new JobRequest { JobId = id, Tenant = "t", OriginHub = "e", CpuMillicores = cores * 1000, MemoryMiB = cores * 4096, RunTime = runTime, LatencyClass = latency },
        arrival);

    [Fact]
    public void Two_jobs_that_may_not_wait_share_one_slot_so_only_one_fits_the_clean_data_center()
    {
        var jobs = new[] { Job("a", TimeSpan.Zero, TimeSpan.FromHours(1)), Job("b", TimeSpan.Zero, TimeSpan.FromHours(1)) };

        var result = OfflineOptimum.Solve(jobs, TwoDataCenters(1), new OptimumSettings(TimeSpan.FromHours(1), TimeSpan.Zero));

        // Carbon: one job clean (0.5) and one dirty (1.0). Cost: one dirty (1) and the other must go clean (2).
        Assert.True(result.Carbon.Feasible);
        Assert.Equal(1.5, result.Carbon.Value, 9);
        Assert.Equal(3.0, result.Cost.Value, 9);
        Assert.Equal(1, result.Slots);
    }

    [Fact]
    public void A_wait_bound_of_one_slot_lets_both_jobs_run_in_the_clean_data_center_one_after_the_other()
    {
        var jobs = new[] { Job("a", TimeSpan.Zero, TimeSpan.FromHours(1)), Job("b", TimeSpan.Zero, TimeSpan.FromHours(1)) };

        var result = OfflineOptimum.Solve(jobs, TwoDataCenters(1), new OptimumSettings(TimeSpan.FromHours(1), TimeSpan.FromHours(1)));

        Assert.Equal(1.0, result.Carbon.Value, 9);
        Assert.Equal(2.0, result.Cost.Value, 9);
    }

    [Fact]
    public void Regional_jobs_stay_within_20_ms_of_their_origin_and_without_room_there_the_bound_is_infeasible()
    {
        var jobs = new[] { Job("a", TimeSpan.Zero, TimeSpan.FromHours(1), latency: LatencyClass.Regional), Job("b", TimeSpan.Zero, TimeSpan.FromHours(1), latency: LatencyClass.Regional) };

        var waiting = OfflineOptimum.Solve(jobs, TwoDataCenters(1), new OptimumSettings(TimeSpan.FromHours(1), TimeSpan.FromHours(1)));
        var noWait = OfflineOptimum.Solve(jobs, TwoDataCenters(1), new OptimumSettings(TimeSpan.FromHours(1), TimeSpan.Zero));

        Assert.Equal(2.0, waiting.Carbon.Value, 9);
        Assert.False(noWait.Carbon.Feasible);
        Assert.True(double.IsNaN(noWait.Carbon.Value));
    }

    [Fact]
    public void The_bound_is_never_above_what_a_feasible_greedy_placement_gets()
    {
        var random = new Random(18);
        var jobs = Enumerable.Range(0, 40)
            .Select(i => Job($"j{i}", TimeSpan.FromMinutes(random.Next(0, 600)), TimeSpan.FromMinutes(random.Next(5, 240)), cores: random.Next(1, 4)))
            .OrderBy(j => j.Arrival)
            .ToList();
        var topology = TwoDataCenters(4);
        var settings = new OptimumSettings(TimeSpan.FromMinutes(30), TimeSpan.FromHours(48));

        var bound = OfflineOptimum.Solve(jobs, topology, settings);
        var greedy = Greedy(jobs, topology, settings.MaxWait);

        Assert.True(bound.Carbon.Feasible && bound.Cost.Feasible);
        Assert.True(bound.Carbon.Value <= greedy.CarbonKg + 1e-9, $"carbon bound {bound.Carbon.Value} above greedy {greedy.CarbonKg}");
        Assert.True(bound.Cost.Value <= greedy.CostCny + 1e-9, $"cost bound {bound.Cost.Value} above greedy {greedy.CostCny}");

        // Both data centers' total work at the cheaper of the two is a looser floor the bound must respect too.
        Assert.True(bound.Carbon.Value >= jobs.Sum(j => j.Request.CpuMillicores / 1000.0 * j.Request.RunTime.TotalHours) * 0.5 - 1e-9);
    }

    // Each job in arrival order at the earliest start (then the lower carbon) where it fits for its whole run, never
    // preempted: a real schedule, so its totals are what some placement reaches.
    private static Footprint Greedy(IReadOnlyList<OptimumJob> jobs, NationalTopology topology, TimeSpan maxWait)
    {
        var placed = new List<(string Dc, TimeSpan Start, TimeSpan End, long Millicores)>();
        var total = Footprint.Zero;
        foreach (var job in jobs)
        {
            var r = job.Request;
            (DataCenterSpec Dc, TimeSpan Start)? best = null;
            foreach (var dc in topology.DataCenters.Values.OrderBy(d => d.Energy.GridKgCo2PerKwh))
            {
                var starts = placed.Where(p => p.Dc == dc.Id && p.End > job.Arrival).Select(p => p.End).Append(job.Arrival).Order();
                var start = starts.First(s => Fits(placed, dc, s, s + r.RunTime, r.CpuMillicores));
                if (best is null || start < best.Value.Start)
                {
                    best = (dc, start);
                }
            }

            Assert.True(best!.Value.Start - job.Arrival <= maxWait);
            placed.Add((best.Value.Dc.Id, best.Value.Start, best.Value.Start + r.RunTime, r.CpuMillicores));
            total += FootprintCalculator.Of(r.ToSpec().Resources, r.RunTime, best.Value.Dc.Energy, topology.Power);
        }

        return total;
    }

    private static bool Fits(List<(string Dc, TimeSpan Start, TimeSpan End, long Millicores)> placed, DataCenterSpec dc, TimeSpan from, TimeSpan to, long millicores)
    {
        var here = placed.Where(p => p.Dc == dc.Id && p.Start < to && p.End > from).ToList();
        return here.Select(p => p.Start).Where(t => t > from).Append(from)
            .All(t => here.Where(p => p.Start <= t && p.End > t).Sum(p => p.Millicores) + millicores <= dc.Capacity.CpuMillicores);
    }
}
