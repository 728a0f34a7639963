using ComputeGrid.Domain.Jobs;
using ComputeGrid.Domain.Placement;
using ComputeGrid.Domain.Resources;
using ComputeGrid.Domain.Topology;

namespace ComputeGrid.Domain.Tests;

/// <summary>The candidate index's edge cases, each against the full scan (<see cref="PlacementEngine.Plan"/>) it stands for.</summary>
public class CandidateIndexTests
{
    private const string Origin = "yangtze";
    private static readonly EnergyProfile Green = new(1.2, 0.5, 0.85, 0.4);
    private static readonly EnergyProfile Grey = new(1.5, 0.8, 0, 0.3);

    private static readonly Dictionary<string, IndexCase> Cases = new()
    {
        ["when the best data centers are all full the first one with room wins"] = new(
            Pool(2_000, i => i < 1_990 ? Full : null, i => Green), Job(PlacementPolicy.Greenest)),
        ["when every data center is full nothing is feasible and all are counted"] = new(
            Pool(500, _ => Full, _ => Green), Job(PlacementPolicy.Fastest)),
        ["data centers with the same energy profile tie on carbon and go by latency then id"] = new(
            Pool(300, _ => null, _ => Green, colocated: true), Job(PlacementPolicy.Greenest)),
        ["profiles whose carbon differs only by rounding tie like equal ones"] = new(
            Pool(300, _ => null, i => i % 2 == 0 ? new EnergyProfile(1.2, 0.5, 0, 0.3) : new EnergyProfile(1.5, 0.4, 0, 0.3)), Job(PlacementPolicy.Greenest)),
        ["co-located data centers tie on latency and go by load then id"] = new(
            Pool(300, i => Partly(i % 7), _ => Grey, colocated: true), Job(PlacementPolicy.Fastest)),
        ["the cheapest at home beats cheaper power elsewhere once the input data costs more to move"] = new(
            Pool(300, _ => null, i => i % 3 == 0 ? Grey : Green), Job(PlacementPolicy.Cheapest) with { InputDataGiB = 100 }),
        ["Balanced takes the full scan"] = new(
            Pool(300, i => Partly(i % 5), i => i % 2 == 0 ? Grey : Green), Job(PlacementPolicy.Balanced)),
        ["a latency bound leaves out the far hubs"] = new(
            Pool(300, _ => null, i => i % 2 == 0 ? Grey : Green), Job(PlacementPolicy.Greenest) with { LatencyClass = LatencyClass.Interactive }),
        ["a GPU model no data center has makes nothing feasible"] = new(
            Pool(300, _ => null, _ => Green), Job(PlacementPolicy.Greenest) with { Resources = new ResourceRequest(1_000, 1_024, 1, "V100") }),
        ["a job with a command goes only where an agent runs its tenant's commands"] = new(
            Pool(300, _ => null, _ => Green, agents: i => i % 50 == 7 ? ["acme"] : null), Job(PlacementPolicy.Greenest) with { Command = new JobCommand("run", [], new Dictionary<string, string>()) }),
        ["a job from another origin takes the full scan"] = new(
            Pool(300, _ => null, i => i % 2 == 0 ? Grey : Green), Job(PlacementPolicy.Fastest) with { OriginHub = "gba" }),
    };

    public static TheoryData<string> Scenarios => [.. Cases.Keys];

    private static ResourceVector Full => ResourceVector.Zero;

    [Theory]
    [MemberData(nameof(Scenarios))]
    public void The_index_answers_what_the_full_scan_answers(string scenario)
    {
        var c = Cases[scenario];
        var index = new CandidateIndex(c.Pool.Topology, Origin, c.Pool.View);
        var everywhere = new Func<string, bool>(_ => true);

        var plan = PlacementEngine.Plan(c.Job, c.Pool.Topology, c.Pool.View);
        var shortlist = index.Shortlist(c.Job, everywhere, [], 8);

        Assert.Equal(plan.Ranked.Take(8), shortlist.Ranked);
        Assert.Equal(plan.Ranked.Count, shortlist.Feasible);
        Assert.Equal(c.Pool.View.Count, shortlist.Total);
        Assert.All(shortlist.Ranked, chosen => Assert.Equal(plan.ReasonFor(chosen), shortlist.ReasonFor(chosen)));
        Assert.Equal(PlacementEngine.Best(c.Job, c.Pool.Topology, c.Pool.View), index.Best(c.Job, everywhere));
    }

    [Fact]
    public void A_data_center_that_fills_up_leaves_the_head_of_the_ranking_and_one_that_frees_up_comes_back()
    {
        var pool = Pool(100, _ => null, _ => Green);
        var index = new CandidateIndex(pool.Topology, Origin, pool.View);
        var job = Job(PlacementPolicy.Fastest);
        var first = index.Shortlist(job, _ => true, [], 1).Ranked[0];
        var spec = pool.View.Single(v => v.Spec.Id == first.DataCenterId).Spec;

        index.Update(first.DataCenterId, ResourceVector.Zero, DataCenterStatus.Online);
        var whileFull = index.Shortlist(job, _ => true, [], 1);
        index.Update(first.DataCenterId, spec.Capacity, DataCenterStatus.Online);
        var afterwards = index.Shortlist(job, _ => true, [], 1);

        Assert.NotEqual(first.DataCenterId, whileFull.Ranked[0].DataCenterId);
        Assert.Equal(99, whileFull.Feasible);
        Assert.Equal(first, afterwards.Ranked[0]);
        Assert.Equal(100, afterwards.Feasible);
    }

    [Fact]
    public void A_draining_data_center_is_skipped_until_it_is_online_again()
    {
        var pool = Pool(100, _ => null, _ => Green);
        var index = new CandidateIndex(pool.Topology, Origin, pool.View);
        var job = Job(PlacementPolicy.Greenest);
        var first = index.Shortlist(job, _ => true, [], 1).Ranked[0];
        var free = pool.View.Single(v => v.Spec.Id == first.DataCenterId).Free;

        index.Update(first.DataCenterId, free, DataCenterStatus.Draining);
        var whileDraining = index.Best(job, _ => true);
        index.Update(first.DataCenterId, free, DataCenterStatus.Online);

        Assert.NotEqual(first.DataCenterId, whileDraining?.DataCenterId);
        Assert.Equal(first, index.Best(job, _ => true));
    }

    [Theory]
    [InlineData(PlacementPolicy.Greenest)]
    [InlineData(PlacementPolicy.Cheapest)]
    [InlineData(PlacementPolicy.Fastest)]
    public void A_walk_scores_a_handful_of_data_centers_not_the_pool_even_when_the_front_of_the_order_is_full(PlacementPolicy policy)
    {
        var pool = Pool(20_000, i => i % 10 != 9 ? Full : null, i => new EnergyProfile(1.1 + (i % 97 * 0.01), 0.5, 0.5, 0.3 + (i % 89 * 0.001)));
        var index = new CandidateIndex(pool.Topology, Origin, pool.View);
        var job = Job(policy);

        var before = index.Scored;
        var shortlist = index.Shortlist(job, _ => true, [], 8);

        Assert.Equal(PlacementEngine.Plan(job, pool.Topology, pool.View).Ranked.Take(8), shortlist.Ranked);
        Assert.InRange(index.Scored - before, 8, 200);
    }

    [Fact]
    public void An_agent_in_an_allowed_hub_that_runs_the_tenants_commands_is_found_without_looking_at_the_others()
    {
        var pool = Pool(300, _ => null, _ => Green, agents: i => i == 42 ? ["acme"] : null);
        var index = new CandidateIndex(pool.Topology, Origin, pool.View);
        var hubOf42 = pool.View.Single(v => v.CommandTenants is not null).Spec.HubId;
        var job = Job(PlacementPolicy.Greenest) with { Command = new JobCommand("run", [], new Dictionary<string, string>()) };

        Assert.True(index.AnyAgentRuns(job));
        Assert.False(index.AnyAgentRuns(job with { Tenant = "zeta" }));
        Assert.False(index.AnyAgentRuns(job with { AllowedHubs = [.. pool.Topology.Hubs.Keys.Where(h => h != hubOf42)] }));
    }

    private static JobSpec Job(PlacementPolicy policy) => Shipped.ValidJob with { OriginHub = Origin, Policy = policy, Resources = new ResourceRequest(2_000, 4_096) };

    private static ResourceVector? Partly(int eighths) => ResourceVector.Of(64_000 * (eighths + 1) / 8, 256 * 1_024 * (eighths + 1) / 8);

    /// <summary>
    /// <paramref name="count"/> data centers spread over the shipped hubs (each near its hub, or all at the hub's point
    /// when <paramref name="colocated"/>), 64 cores and 256 GiB each; <paramref name="free"/> null means all free.
    /// </summary>
    private static TestPool Pool(
        int count,
        Func<int, ResourceVector?> free,
        Func<int, EnergyProfile> energy,
        bool colocated = false,
        Func<int, IReadOnlyCollection<string>?>? agents = null)
    {
        var seed = Shipped.Topology;
        var hubs = seed.Hubs.Values.OrderBy(h => h.Id, StringComparer.Ordinal).ToList();
        var capacity = ResourceVector.Of(64_000, 256 * 1_024);
        var specs = Enumerable.Range(0, count).Select(i =>
        {
            var hub = hubs[i % hubs.Count];
            var at = colocated ? hub.Location : new GeoPoint(hub.Location.Lat + (i / hubs.Count % 100 * 0.003), hub.Location.Lon + (i / hubs.Count / 100 * 0.003));
            return new DataCenterSpec($"dc-{i:D5}", $"dc {i}", hub.Id, at, capacity, energy(i));
        }).ToList();
        var topology = new NationalTopology(hubs, specs, seed.Power, seed.Latency, seed.TransferCnyPerGiB, []);
        return new TestPool(topology, [.. specs.Select((s, i) => new CandidateState(s, DataCenterStatus.Online, free(i) ?? s.Capacity, agents?.Invoke(i)))]);
    }

    private sealed record TestPool(NationalTopology Topology, List<CandidateState> View);

    private sealed record IndexCase(TestPool Pool, JobSpec Job);
}
