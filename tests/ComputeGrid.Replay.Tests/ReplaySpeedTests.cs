using System.Diagnostics;
using ComputeGrid.Client;
using ComputeGrid.Domain.Topology;
using ComputeGrid.Replay.Load;
using ComputeGrid.Replay.Mapping;
using ComputeGrid.Replay.Reports;
using ComputeGrid.Replay.Running;
using ComputeGrid.Replay.Traces;

namespace ComputeGrid.Replay.Tests;

/// <summary>How the replay gets through a trace fast: it settles on the federation's idle signal, not on wall-clock sleeps.</summary>
public sealed class ReplaySpeedTests
{
    private static readonly NationalTopology Topology = TopologyLoader.Load(Path.Combine(AppContext.BaseDirectory, "Topology", "national.json"));

    [Fact]
    public async Task A_settle_ends_when_the_federation_goes_idle_not_at_its_deadline()
    {
        await using var federation = await ReplayFederation.StartAsync(Topology, DateTimeOffset.UnixEpoch, loansEnabled: true, TimeSpan.FromMilliseconds(5), TimeSpan.FromMilliseconds(200), CancellationToken.None);
        await federation.Grid.SubmitAsync(
            new JobRequest { JobId = "speed-1", Tenant = "t", OriginHub = "yangtze", CpuMillicores = 1000, MemoryMiB = 1024, RunTime = TimeSpan.FromHours(1), Policy = Domain.Jobs.PlacementPolicy.Greenest },
            CancellationToken.None);
        var watch = Stopwatch.StartNew();

        var idle = await federation.SettleAsync(TimeSpan.FromSeconds(30), CancellationToken.None);

        Assert.True(idle);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(10), $"settled after {watch.Elapsed}");
        Assert.Equal(0, federation.Activity.InFlight);
        Assert.Equal(0, federation.Activity.StreamPending);
        Assert.True(federation.Activity.TotalCalls > 0);
    }

    [Fact]
    public async Task Under_load_every_settle_of_a_replay_ends_on_the_idle_signal_so_a_long_deadline_costs_nothing()
    {
        var jobs = TraceFile.Read(TestData.KthExcerpt).Jobs.Take(30).ToList();
        var mapper = new JobMapper(new OriginRule(OriginRule.EasternPopulation), TenantPrefix: "kth");
        var hubs = Topology.Hubs.Keys.Order(StringComparer.Ordinal).ToList();
        var requests = jobs.Select((j, i) => mapper.ToRequest(j, i, ReplayPolicy.Nearest, Topology, hubs)).ToList();
        var plan = LoadPlan.For(0.9, requests, [.. jobs.Select(j => j.Submit - jobs[0].Submit)], Topology);
        var loaded = LoadScaling.Scale(Topology, plan.CapacityScale);
        // A settle that ran to its deadline would take 30 s: the budget (1 min) would run out after two of them.
        var runner = new ReplayRunner(loaded, ReplaySettings.For(mapper) with { Settle = TimeSpan.FromSeconds(30), Budget = TimeSpan.FromMinutes(1), MappingTopology = Topology });

        var result = await runner.RunAsync(LoadScaling.Compress([.. jobs.Select(j => j with { Submit = j.Submit - jobs[0].Submit })], plan.Speedup), ReplayPolicy.Greenest, null, CancellationToken.None);

        Assert.False(result.TimedOut);
        Assert.NotNull(result.Work);
        Assert.True(result.Work.Settles > 0, "no job ever waited: the slice did not bind");
        Assert.Equal(0, result.Work.SettleDeadlines);
        Assert.Equal(jobs.Count, result.Jobs.Select(j => j.JobId).Distinct().Count());
        Assert.Equal(result.PoolExecuted.CarbonKg, result.Total.CarbonKg, 6);
    }

    [Fact]
    public async Task Jobs_due_at_one_virtual_instant_are_submitted_as_one_batch()
    {
        var first = TraceFile.Read(TestData.KthExcerpt).Jobs.Take(6).ToList();
        var jobs = first.Select(j => j with { Submit = TimeSpan.Zero }).ToList();
        var runner = new ReplayRunner(Topology, ReplaySettings.For(new JobMapper(new OriginRule(OriginRule.EasternPopulation), TenantPrefix: "kth")) with { Budget = TimeSpan.FromMinutes(1) });

        var result = await runner.RunAsync(jobs, ReplayPolicy.OriginOnly, null, CancellationToken.None);

        Assert.Equal(1, result.Work!.Batches);
        Assert.Equal(jobs.Count, result.Completed);
    }

    [Theory]
    [InlineData(0, 100, 5, "greenest: 0/100 jobs (0.0 %), 5s, time left unknown")]
    [InlineData(25, 100, 60, "greenest: 25/100 jobs (25.0 %), 1m 0s, about 3m 0s left")]
    [InlineData(7000, 28467, 70, "greenest: 7,000/28,467 jobs (24.6 %), 1m 10s, about 3m 34s left")]
    public void The_time_left_assumes_the_jobs_to_come_go_at_the_rate_of_those_so_far(int done, int total, int seconds, string expected) =>
        Assert.Equal(expected, ProgressLine.Format("greenest", done, total, TimeSpan.FromSeconds(seconds)));
}
