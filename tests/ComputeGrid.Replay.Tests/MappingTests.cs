using ComputeGrid.Domain.Jobs;
using ComputeGrid.Domain.Topology;
using ComputeGrid.Replay.Mapping;
using ComputeGrid.Replay.Traces;

namespace ComputeGrid.Replay.Tests;

public sealed class MappingTests
{
    private static readonly NationalTopology Topology = TopologyLoader.Load(Path.Combine(AppContext.BaseDirectory, "Topology", "national.json"));
    private static readonly string[] Hubs = [.. Topology.Hubs.Keys.Order(StringComparer.Ordinal)];
    private static readonly JobMapper Mapper = new(new OriginRule(OriginRule.EasternPopulation));

    [Fact]
    public void A_user_always_comes_from_the_same_origin_hub()
    {
        var rule = new OriginRule(OriginRule.EasternPopulation);

        Assert.All(Enumerable.Range(0, 50).Select(u => u.ToString(System.Globalization.CultureInfo.InvariantCulture)), u => Assert.Equal(rule.OriginOf(u), rule.OriginOf(u)));
    }

    [Fact]
    public void Users_spread_over_the_hubs_roughly_by_weight()
    {
        var rule = OriginRule.Parse("bth=1,yangtze=3");
        var counts = Enumerable.Range(0, 4000).Select(u => rule.OriginOf($"user{u}")).GroupBy(h => h).ToDictionary(g => g.Key, g => g.Count());

        Assert.InRange(counts["yangtze"] / 4000.0, 0.70, 0.80);
    }

    [Fact]
    public void A_gpu_job_comes_only_from_a_hub_that_has_its_gpu_model()
    {
        var bthHasNo910B = !Topology.DataCentersOf("bth").Any(d => d.Capacity.GpusOf("910B") > 0);
        var origins = Enumerable.Range(0, 200).Select(u => Mapper.OriginOf(Job($"u{u}", gpus: 1), Topology)).Distinct().ToList();

        Assert.True(bthHasNo910B);
        Assert.DoesNotContain("bth", origins);
    }

    [Fact]
    public void Origin_only_allows_just_the_origin_hub_and_round_robin_cycles_through_every_hub()
    {
        var originOnly = Mapper.ToRequest(Job("7"), 0, ReplayPolicy.OriginOnly, Topology, Hubs);
        var roundRobin = Enumerable.Range(0, Hubs.Length).Select(i => Mapper.ToRequest(Job("7"), i, ReplayPolicy.RoundRobin, Topology, Hubs).AllowedHubs.Single());

        Assert.Equal([originOnly.OriginHub], originOnly.AllowedHubs);
        Assert.Equal(Hubs, roundRobin);
    }

    [Fact]
    public void Latency_sensitive_jobs_are_regional_and_the_rest_batch_and_run_times_above_30_days_are_clamped()
    {
        var ls = Mapper.ToRequest(Job("1", latencySensitive: true, runTime: TimeSpan.FromDays(100)), 0, ReplayPolicy.Greenest, Topology, Hubs);
        var be = Mapper.ToRequest(Job("2"), 0, ReplayPolicy.Greenest, Topology, Hubs);

        Assert.Equal(LatencyClass.Regional, ls.LatencyClass);
        Assert.Equal(LatencyClass.Batch, be.LatencyClass);
        Assert.Equal(TimeSpan.FromDays(30), ls.RunTime);
        Assert.Empty(ls.Validate());
        Assert.Equal(PlacementPolicy.Greenest, be.Policy);
    }

    [Fact]
    public void A_job_without_memory_gets_the_configured_memory_per_core()
    {
        var request = Mapper.ToRequest(Job("3", cpu: 2500), 0, ReplayPolicy.Balanced, Topology, Hubs);

        Assert.Equal(3 * 4096, request.MemoryMiB);
    }

    [Fact]
    public void Origin_weights_that_are_not_hub_equals_number_are_refused()
    {
        Assert.Throws<FormatException>(() => OriginRule.Parse("bth=many"));
        Assert.Throws<ArgumentException>(() => OriginRule.Parse("bth=0"));
    }

    private static TraceJob Job(string user, int gpus = 0, bool latencySensitive = false, TimeSpan? runTime = null, long cpu = 4000) =>
        new($"job-{user}", TimeSpan.Zero, runTime ?? TimeSpan.FromHours(1), cpu, null, gpus, user, latencySensitive);

    [Fact]
    public void The_replay_names_GreenestPredictive_greenest_predictive_and_submits_its_jobs_with_loans_on()
    {
        var policy = ReplayPolicies.Parse("greenest-predictive");

        Assert.Equal(ReplayPolicy.GreenestPredictive, policy);
        Assert.Equal("greenest-predictive", policy!.Value.Name());
        Assert.Equal(PlacementPolicy.GreenestPredictive, policy.Value.Placement());
        Assert.True(policy.Value.LoansEnabled());
    }
}
