using ComputeGrid.Domain.Accounting;
using ComputeGrid.Domain.Jobs;
using ComputeGrid.Domain.Topology;
using ComputeGrid.Replay.Load;
using ComputeGrid.Replay.Mapping;
using ComputeGrid.Replay.Reports;
using ComputeGrid.Replay.Running;
using ComputeGrid.Replay.Traces;

namespace ComputeGrid.Replay.Tests;

/// <summary>Replays of a real slice (the KTH excerpt) through a real in-process federation.</summary>
public sealed class ReplayConservationTests
{
    private static readonly NationalTopology Topology = TopologyLoader.Load(Path.Combine(AppContext.BaseDirectory, "Topology", "national.json"));

    [Theory]
    [InlineData(ReplayPolicy.OriginOnly)]
    [InlineData(ReplayPolicy.Greenest)]
    public async Task Every_job_of_a_slice_is_counted_once_and_the_energy_is_the_sum_of_its_jobs(ReplayPolicy policy)
    {
        var jobs = TraceFile.Read(TestData.KthExcerpt).Jobs.Take(20).ToList();
        var runner = new ReplayRunner(Topology, ReplaySettings.For(new JobMapper(new OriginRule(OriginRule.EasternPopulation), TenantPrefix: "kth")) with { Budget = TimeSpan.FromMinutes(1) });

        var result = await runner.RunAsync(jobs, policy, null, CancellationToken.None);

        Assert.False(result.TimedOut);
        Assert.Equal(jobs.Count, result.Submitted);
        Assert.Equal(jobs.Count, result.Jobs.Select(j => j.JobId).Distinct().Count());
        Assert.All(result.Jobs, j => Assert.Equal(JobState.Succeeded, j.State));
        Assert.Equal(result.PoolExecuted.EnergyKwh, result.Total.EnergyKwh, 6);
        Assert.Equal(result.PoolExecuted.CarbonKg, result.Total.CarbonKg, 6);
        Assert.Equal(0, result.LatencyViolations);
    }

    [Fact]
    public async Task At_load_0_9_every_job_of_a_slice_still_completes_once_and_the_energy_is_the_sum_of_its_jobs()
    {
        var jobs = TraceFile.Read(TestData.KthExcerpt).Jobs.Take(30).ToList();
        var mapper = new JobMapper(new OriginRule(OriginRule.EasternPopulation), TenantPrefix: "kth");
        var hubs = Topology.Hubs.Keys.Order(StringComparer.Ordinal).ToList();
        var requests = jobs.Select((j, i) => mapper.ToRequest(j, i, ReplayPolicy.Nearest, Topology, hubs)).ToList();
        var plan = LoadPlan.For(0.9, requests, [.. jobs.Select(j => j.Submit - jobs[0].Submit)], Topology);
        var loaded = LoadScaling.Scale(Topology, plan.CapacityScale);
        var runner = new ReplayRunner(loaded, ReplaySettings.For(mapper) with { Budget = TimeSpan.FromMinutes(1), MappingTopology = Topology });

        var result = await runner.RunAsync(LoadScaling.Compress([.. jobs.Select(j => j with { Submit = j.Submit - jobs[0].Submit })], plan.Speedup), ReplayPolicy.Nearest, null, CancellationToken.None);

        Assert.Equal(0.9, plan.Achieved, 1);
        Assert.False(result.TimedOut);
        Assert.Equal(jobs.Count, result.Jobs.Select(j => j.JobId).Distinct().Count());
        Assert.All(result.Jobs, j => Assert.Equal(JobState.Succeeded, j.State));
        Assert.Equal(result.PoolExecuted.EnergyKwh, result.Total.EnergyKwh, 6);
        Assert.Equal(0, result.LatencyViolations);
    }

    [Fact]
    public async Task Gpu_pods_of_several_mapped_models_are_each_counted_once_and_the_energy_is_the_sum_of_the_pods()
    {
        var pods = TraceFile.Read(TestData.AlibabaExcerpt).Jobs.Take(12).ToList();
        var mapper = new JobMapper(new OriginRule(OriginRule.EasternPopulation), TenantPrefix: "openb")
        {
            GpuModels = GpuModelRule.ForInventory(AlibabaNodeReader.Read(TestData.AlibabaNodeExcerpt), "A800", "910B"),
        };
        var runner = new ReplayRunner(Topology, ReplaySettings.For(mapper) with { Budget = TimeSpan.FromMinutes(1) });

        var result = await runner.RunAsync(pods, ReplayPolicy.Greenest, null, CancellationToken.None);

        Assert.False(result.TimedOut);
        Assert.Equal(pods.Count, result.Jobs.Select(j => j.JobId).Distinct().Count());
        Assert.Equal(result.PoolExecuted.EnergyKwh, result.Total.EnergyKwh, 6);
        Assert.Equal(0, result.LatencyViolations);
        Assert.True(result.Phases.Values.Aggregate(TimeSpan.Zero, (a, b) => a + b) <= result.WallTime);
    }

    [Fact]
    public async Task Each_job_runs_for_exactly_its_trace_run_time_on_the_virtual_clock()
    {
        var jobs = TraceFile.Read(TestData.KthExcerpt).Jobs.Take(10).ToList();
        var runner = new ReplayRunner(Topology, ReplaySettings.For(new JobMapper(new OriginRule(OriginRule.EasternPopulation), TenantPrefix: "kth")));

        var result = await runner.RunAsync(jobs, ReplayPolicy.OriginOnly, null, CancellationToken.None);

        var expected = jobs.Sum(j => j.CpuMillicores / 1000.0 * j.RunTime.TotalHours);
        Assert.Equal(expected, result.Jobs.Sum(j => j.CoreHours), 6);
    }

    [Fact]
    public void The_report_gives_the_longest_wait_of_the_jobs_that_started_and_leaves_out_those_that_never_did()
    {
        var read = TraceFile.Read(TestData.KthExcerpt);
        JobOutcome Job(string id, TimeSpan? wait) => new(id, "yangtze", wait is null ? null : "yangtze", wait is null ? JobState.Queued : JobState.Succeeded, wait, wait is null ? Footprint.Zero : new(1, 1, 1), false, wait is null ? 0 : 1, 0, false);
        var result = new PolicyResult(ReplayPolicy.OriginOnly, 3, 0, [Job("a", TimeSpan.FromMinutes(5)), Job("b", TimeSpan.FromHours(3)), Job("c", null)], new(2, 2, 2), 0, [], TimeSpan.FromSeconds(1), false);

        var report = ReplayReport.Build("kth.swf", read, 3, "replay kth.swf", [result], Topology, []);

        Assert.Equal(TimeSpan.FromHours(3), result.MaxWait);
        Assert.Equal(10800, report.Rows.Single().MaxWaitS);
        Assert.Contains("| Max wait (s) |", report.ToMarkdown([]), StringComparison.Ordinal);
        Assert.Contains("| 10800 |", report.ToMarkdown([]), StringComparison.Ordinal);
    }

    [Fact]
    public void The_report_saves_nothing_against_itself_and_its_charts_are_well_formed_svg()
    {
        var read = TraceFile.Read(TestData.KthExcerpt);
        var job = new JobOutcome("kth-1", "yangtze", "yangtze", JobState.Succeeded, TimeSpan.Zero, new(10, 5, 6), false, 4, 0, false);
        var sample = new UtilisationSample(TimeSpan.FromDays(1), new Dictionary<string, double> { ["yangtze"] = 0.5 }, new Dictionary<string, double> { ["yangtze"] = 0 });
        var result = new PolicyResult(ReplayPolicy.OriginOnly, 1, 0, [job], new(10, 5, 6), 0, [sample], TimeSpan.FromSeconds(1), false);

        var report = ReplayReport.Build("kth.swf", read, 1, "replay kth.swf", [result], Topology, []);

        Assert.Equal(0, report.Rows.Single().CarbonSaving);
        Assert.Contains(read.Citation, report.ToMarkdown([]), StringComparison.Ordinal);
        Assert.Contains("| Loans | Jobs on loan | Loans per borrowed job |", report.ToMarkdown([]), StringComparison.Ordinal);
        Assert.Contains("| 0 | 0 | n/a |", report.ToMarkdown([]), StringComparison.Ordinal);
        Assert.Contains("Trace cluster: 40 nodes", ReplayReport.Build("pods.csv", read, 1, "replay", [result], Topology, [], "40 nodes").ToMarkdown([]), StringComparison.Ordinal);
        _ = System.Xml.Linq.XDocument.Parse(SvgCharts.Carbon("carbon <per> policy", report.Rows));
        _ = System.Xml.Linq.XDocument.Parse(SvgCharts.Utilisation("utilisation", [sample], gpu: false));
    }
}
