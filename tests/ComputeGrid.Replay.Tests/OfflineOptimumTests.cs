using ComputeGrid.Client;
using ComputeGrid.Domain.Accounting;
using ComputeGrid.Domain.Jobs;
using ComputeGrid.Domain.Loans;
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
    // A GPU of model X draws 1,000 W too, so a job of one core and one X GPU uses 2 kWh an hour.
    private static NationalTopology TwoDataCenters(int coresEach, HubQuota? east = null, HubQuota? west = null, int gpusEach = 0) => new(
        [new Hub("e", "East", "东", Zone.East, new GeoPoint(30, 120), east), new Hub("w", "West", "西", Zone.West, new GeoPoint(40, 80), west)],
        [
            new DataCenterSpec("dirty", "Dirty", "e", new GeoPoint(30, 120), Capacity(coresEach, gpusEach), new EnergyProfile(1, 1.0, 0, 1.0)),
            new DataCenterSpec("clean", "Clean", "w", new GeoPoint(40, 80), Capacity(coresEach, gpusEach), new EnergyProfile(1, 0.5, 0, 2.0)),
        ],
        Power with { GpuWatts = new Dictionary<string, double> { ["X"] = 1000 } },
        LatencyModel.Default,
        0,
        []);

    private static ResourceVector Capacity(long cores, int gpus = 0) => ResourceVector.Of(cores * 1000, cores * 4096, gpus > 0 ? [KeyValuePair.Create("X", gpus)] : null);

    private static HubQuota Lends(ResourceVector limit) => new(limit, null, ReclaimPolicy.LowerPriority);

    private static HubQuota Borrows(ResourceVector limit) => new(null, limit, ReclaimPolicy.LowerPriority);

    private static OptimumJob Job(string id, TimeSpan arrival, TimeSpan runTime, long cores = 1, LatencyClass latency = LatencyClass.Batch, int gpus = 0) => new(
        new JobRequest { JobId = id, Tenant = "t", OriginHub = "e", CpuMillicores = cores * 1000, MemoryMiB = cores * 4096, Gpus = gpus, GpuModel = gpus > 0 ? "X" : null, RunTime = runTime, LatencyClass = latency },
        arrival);

    /// <summary>Forty jobs of 1-3 cores arriving over ten hours and running 5 minutes to 4 hours, the same every run.</summary>
    private static List<OptimumJob> FortyRandomJobs()
    {
        var random = new Random(18);
        return Enumerable.Range(0, 40)
            .Select(i => Job($"j{i}", TimeSpan.FromMinutes(random.Next(0, 600)), TimeSpan.FromMinutes(random.Next(5, 240)), cores: random.Next(1, 4)))
            .OrderBy(j => j.Arrival)
            .ToList();
    }

    private static OptimumJob[] FourOneHourJobs(int gpus = 0) => [.. Enumerable.Range(0, 4).Select(i => Job($"j{i}", TimeSpan.Zero, TimeSpan.FromHours(1), gpus: gpus))];

    private static readonly OptimumSettings NoWait = new(TimeSpan.FromHours(1), TimeSpan.Zero);

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
        var jobs = FortyRandomJobs();
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

    [Fact]
    public void A_lending_limit_of_half_the_clean_hub_puts_exactly_that_much_of_the_eastern_work_there_and_the_rest_at_home()
    {
        // Four one-core jobs for one hour, four cores in each hub. The west lends at most two cores (its memory is not
        // limited below its capacity); the east lends nothing, which does not limit its own jobs at home.
        var topology = TwoDataCenters(4, east: Lends(ResourceVector.Zero), west: Lends(ResourceVector.Of(2000, 4 * 4096)));

        var unlimited = OfflineOptimum.Solve(FourOneHourJobs(), TwoDataCenters(4), NoWait);
        var limited = OfflineOptimum.Solve(FourOneHourJobs(), topology, NoWait);

        // Without the limit all four run clean: 4 x 0.5. With it, c clean job-hours cost 0.5c + (4 - c): 3.0 is c = 2.
        Assert.Equal(2.0, unlimited.Carbon.Value, 9);
        Assert.Equal(3.0, limited.Carbon.Value, 9);
        Assert.Equal(4.0, limited.Cost.Value, 9);
        Assert.Equal(0, unlimited.QuotaRows);
        Assert.Equal(1, limited.QuotaRows);
    }

    [Fact]
    public void A_lending_limit_holds_per_slot_so_work_that_may_wait_a_slot_fills_the_limit_twice()
    {
        var topology = TwoDataCenters(4, west: Lends(ResourceVector.Of(2000, 4 * 4096)));

        var result = OfflineOptimum.Solve(FourOneHourJobs(), topology, new OptimumSettings(TimeSpan.FromHours(1), TimeSpan.FromHours(1)));

        // Two clean job-hours in each of the two slots: all four jobs run clean.
        Assert.Equal(2.0, result.Carbon.Value, 9);
        Assert.Equal(2, result.QuotaRows);
    }

    [Fact]
    public void A_borrowing_limit_of_two_cores_puts_exactly_two_job_hours_of_the_origins_work_in_other_hubs()
    {
        var topology = TwoDataCenters(4, east: Borrows(ResourceVector.Of(2000, 4 * 4096)));

        var result = OfflineOptimum.Solve(FourOneHourJobs(), topology, NoWait);

        Assert.Equal(3.0, result.Carbon.Value, 9);
        Assert.Equal(1, result.QuotaRows);
    }

    [Fact]
    public void A_gpu_model_a_lending_limit_does_not_name_is_not_limited_and_one_it_names_is()
    {
        // Jobs of one core and one X GPU: 2 kWh an hour, so 1 kgCO2 clean and 2 dirty per job-hour. CPU and memory lend freely.
        var free = ResourceVector.Of(4000, 4 * 4096);
        var unnamed = OfflineOptimum.Solve(FourOneHourJobs(gpus: 1), TwoDataCenters(4, west: Lends(free), gpusEach: 4), NoWait);
        var named = OfflineOptimum.Solve(FourOneHourJobs(gpus: 1), TwoDataCenters(4, west: Lends(ResourceVector.Of(4000, 4 * 4096, [KeyValuePair.Create("X", 2)])), gpusEach: 4), NoWait);

        Assert.Equal(4.0, unnamed.Carbon.Value, 9);
        Assert.Equal(0, unnamed.QuotaRows);
        Assert.Equal(6.0, named.Carbon.Value, 9);
        Assert.Equal(1, named.QuotaRows);
    }

    [Fact]
    public void The_bound_with_the_hubs_quotas_is_never_below_the_bound_without_them()
    {
        var jobs = FortyRandomJobs();
        var settings = new OptimumSettings(TimeSpan.FromMinutes(30), TimeSpan.FromHours(48));

        var without = OfflineOptimum.Solve(jobs, TwoDataCenters(4), settings);
        var with = OfflineOptimum.Solve(jobs, TwoDataCenters(4, west: Lends(ResourceVector.Of(2000, 8192))), settings);

        Assert.True(with.Carbon.Feasible && with.Cost.Feasible);
        Assert.True(with.QuotaRows > 0);
        Assert.True(with.Carbon.Value >= without.Carbon.Value - 1e-9, $"carbon with quotas {with.Carbon.Value} below {without.Carbon.Value} without");
        Assert.True(with.Cost.Value >= without.Cost.Value - 1e-9, $"cost with quotas {with.Cost.Value} below {without.Cost.Value} without");

        // The limit binds here: the west's lendable half is not enough for the work the unlimited bound sent there.
        Assert.True(with.Carbon.Value > without.Carbon.Value + 1e-6);
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
