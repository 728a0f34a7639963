using ComputeGrid.Domain.Placement;
using ComputeGrid.Domain.Resources;
using ComputeGrid.Domain.Topology;
using ComputeGrid.Replay.Mapping;
using ComputeGrid.Replay.Reports;
using ComputeGrid.Replay.Running;
using ComputeGrid.Replay.Traces;

namespace ComputeGrid.Replay.Tests;

/// <summary>
/// The replay runs the federation under the queue discipline it is given: three jobs in one hub whose only data center
/// has 8 cores. A 6-core job runs for 2 h; then a job of all 8 cores (1 h) queues, then a 2-core job of 4 h, then a 2-core
/// job of 30 min. What waits how long follows from the discipline alone.
/// </summary>
public sealed class QueueDisciplineReplayTests
{
    private static readonly NationalTopology National = TopologyLoader.Load(Path.Combine(AppContext.BaseDirectory, "Topology", "national.json"));

    private static readonly TraceJob[] Trace =
    [
        Job("fill", 0, 6, 120),
        Job("big", 1, 8, 60),
        Job("long", 2, 2, 240),
        Job("short", 3, 2, 30),
    ];

    private static TraceJob Job(string id, int submitMinute, int cores, int runMinutes) =>
        new(id, TimeSpan.FromMinutes(submitMinute), TimeSpan.FromMinutes(runMinutes), cores * 1000L, cores * 1024L, 0, "u1", false);

    /// <summary>The national topology with hub yangtze's data centers replaced by one of 8 cores.</summary>
    private static NationalTopology OneSmallDataCenter()
    {
        var first = National.DataCentersOf("yangtze").OrderBy(d => d.Id, StringComparer.Ordinal).First();
        var others = National.DataCenters.Values.Where(d => d.HubId != "yangtze");
        var small = first with { Capacity = ResourceVector.Of(8_000, 8 * 1024) };
        return new NationalTopology(National.Hubs.Values, others.Append(small), National.Power, National.Latency, National.TransferCnyPerGiB, National.Assumptions);
    }

    private static async Task<Dictionary<string, double>> WaitsInMinutesAsync(QueueDiscipline discipline)
    {
        var mapper = new JobMapper(new OriginRule(new Dictionary<string, double> { ["yangtze"] = 1 }), TenantPrefix: "q");
        var runner = new ReplayRunner(OneSmallDataCenter(), ReplaySettings.For(mapper) with { Budget = TimeSpan.FromMinutes(2), Discipline = discipline });

        var result = await runner.RunAsync(Trace, ReplayPolicy.OriginOnly, null, CancellationToken.None);

        Assert.False(result.TimedOut);
        Assert.Equal(discipline, result.Discipline);
        Assert.Equal(Trace.Length, result.Completed);
        return Trace.ToDictionary(t => t.Id, t => Math.Round(result.Jobs.Single(j => j.JobId == mapper.JobIdOf(t)).Wait!.Value.TotalMinutes));
    }

    [Fact]
    public async Task Under_backfill_the_big_job_starts_when_the_first_ends_and_only_the_short_job_overtakes_it()
    {
        var waits = await WaitsInMinutesAsync(QueueDiscipline.Backfill);

        // big at 120 (fill's end); short backfilled at once (ends at 33 min); long after big, at 180.
        Assert.Equal(new Dictionary<string, double> { ["fill"] = 0, ["big"] = 119, ["long"] = 178, ["short"] = 0 }, waits);
    }

    [Fact]
    public async Task Under_fair_share_the_long_small_job_overtakes_the_big_one_which_waits_for_it_to_end()
    {
        var waits = await WaitsInMinutesAsync(QueueDiscipline.FairShare);

        // long starts at once (2 cores free) and holds them to 242: short takes 2 of the 6 fill frees at 120, big starts at 242.
        Assert.Equal(new Dictionary<string, double> { ["fill"] = 0, ["big"] = 241, ["long"] = 0, ["short"] = 117 }, waits);
    }

    [Fact]
    public async Task Under_strict_priority_nothing_overtakes_the_big_job()
    {
        var waits = await WaitsInMinutesAsync(QueueDiscipline.StrictPriority);

        // big at 120, then long and short together at 180.
        Assert.Equal(new Dictionary<string, double> { ["fill"] = 0, ["big"] = 119, ["long"] = 178, ["short"] = 177 }, waits);
    }

    [Fact]
    public void Discipline_names_parse_in_kebab_case_or_as_configured_and_an_unknown_one_is_refused()
    {
        Assert.Equal([QueueDiscipline.Backfill, QueueDiscipline.FairShare, QueueDiscipline.StrictPriority], DisciplineComparison.Parse("backfill, fair-share,StrictPriority"));
        Assert.Contains("unknown queue discipline 'fifo'", Assert.Throws<FormatException>(() => DisciplineComparison.Parse("backfill,fifo")).Message, StringComparison.Ordinal);
    }
}
