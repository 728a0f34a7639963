using ComputeGrid.Domain.Jobs;
using ComputeGrid.Domain.Placement;
using ComputeGrid.Domain.Resources;
using ComputeGrid.Domain.Topology;

namespace ComputeGrid.Domain.Tests;

/// <summary>
/// The candidate index against the full scan it replaces on the hot path: random pools (hubs, co-located data centers,
/// shared and distinct energy profiles, GPU models, statuses, agents, free capacity from empty to full), random jobs
/// (every policy, latency class, allowed hubs, GPU requests, commands, input data) and random changes of the view.
/// Each case is seeded, so a failure names the seed that reproduces it.
/// </summary>
public class CandidateIndexPropertyTests
{
    private const int Cases = 300;
    private const int JobsPerCase = 12;
    private static readonly string[] GpuModels = ["910B", "A800", "H800"];
    private static readonly double[] Pues = [1.1, 1.2, 1.25, 1.5];
    private static readonly double[] Grids = [0.4, 0.5, 0.6, 0.8];
    private static readonly double[] GreenShares = [0, 0.25, 0.5, 0.85];
    private static readonly double[] Prices = [0.3, 0.36, 0.4, 0.5];

    public static TheoryData<int> Seeds => [.. Enumerable.Range(0, Cases)];

    [Theory]
    [MemberData(nameof(Seeds))]
    public void The_shortlist_of_the_own_hub_and_loan_slices_is_the_head_of_the_full_plan_with_the_pools_counts_and_reasons(int seed)
    {
        var random = new Random(seed);
        var (topology, view) = RandomPool(random);
        var origin = topology.Hubs.Keys.ElementAt(random.Next(topology.Hubs.Count));
        var index = new CandidateIndex(topology, origin, view.Values);
        for (var j = 0; j < JobsPerCase; j++)
        {
            var job = RandomJob(random, topology, origin);
            var extra = RandomSlices(random, view, origin);
            var count = random.Next(1, 6);
            var own = view.Values.Where(v => v.Spec.HubId == origin);

            var (feasible, total) = PlacementEngine.CountInPool(job, topology, view.Values, extra);
            var expected = PlacementShortlist.Of(PlacementEngine.Plan(job, topology, own.Concat(extra)), count) with { Feasible = feasible, Total = total };
            var actual = index.Shortlist(job, hub => hub == origin, extra, count);

            AssertSame(expected, actual, $"seed {seed}, job {j}: {job}");
            ChangeSome(random, view, index);
        }
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public void The_best_place_in_the_hubs_a_job_may_borrow_from_is_the_full_scans(int seed)
    {
        var random = new Random(seed);
        var (topology, view) = RandomPool(random);
        var origin = topology.Hubs.Keys.ElementAt(random.Next(topology.Hubs.Count));
        var index = new CandidateIndex(topology, origin, view.Values);
        for (var j = 0; j < JobsPerCase; j++)
        {
            var job = RandomJob(random, topology, origin);
            var askable = topology.Hubs.Keys.Where(_ => random.Next(3) > 0).ToHashSet(StringComparer.Ordinal);
            bool InHub(string hub) => hub == origin || askable.Contains(hub);

            var expected = PlacementEngine.Best(job, topology, view.Values.Where(v => InHub(v.Spec.HubId)));
            var actual = index.Best(job, InHub);

            Assert.True(Equals(expected, actual), $"seed {seed}, job {j}: expected {expected}, got {actual} for {job}");
            ChangeSome(random, view, index);
        }
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public void The_shortlist_over_several_hubs_is_the_head_of_the_full_plan_over_them_with_the_pools_counts(int seed)
    {
        var random = new Random(seed);
        var (topology, view) = RandomPool(random);
        var origin = topology.Hubs.Keys.ElementAt(random.Next(topology.Hubs.Count));
        var index = new CandidateIndex(topology, origin, view.Values);
        for (var j = 0; j < JobsPerCase; j++)
        {
            var job = RandomJob(random, topology, origin);
            var hubs = topology.Hubs.Keys.Where(_ => random.Next(2) > 0).ToHashSet(StringComparer.Ordinal);
            var count = random.Next(1, 12);

            var (feasible, total) = PlacementEngine.CountInPool(job, topology, view.Values, []);
            var expected = PlacementShortlist.Of(PlacementEngine.Plan(job, topology, view.Values.Where(v => hubs.Contains(v.Spec.HubId))), count) with { Feasible = feasible, Total = total };
            var actual = index.Shortlist(job, hubs.Contains, [], count);

            AssertSame(expected, actual, $"seed {seed}, job {j}: {job}");
            ChangeSome(random, view, index);
        }
    }

    private static void AssertSame(PlacementShortlist expected, PlacementShortlist actual, string what)
    {
        Assert.True(expected.Ranked.SequenceEqual(actual.Ranked), $"{what}\nexpected {string.Join(", ", expected.Ranked.Select(c => c.DataCenterId))}\ngot      {string.Join(", ", actual.Ranked.Select(c => c.DataCenterId))}");
        Assert.Equal(expected.Feasible, actual.Feasible);
        Assert.Equal(expected.Total, actual.Total);
        foreach (var chosen in expected.Ranked)
        {
            Assert.Equal(expected.ReasonFor(chosen), actual.ReasonFor(chosen));
        }
    }

    /// <summary>A few data centers change as a region learns: a reservation's answer, a freed notice, a status.</summary>
    private static void ChangeSome(Random random, Dictionary<string, CandidateState> view, CandidateIndex index)
    {
        var ids = view.Keys.ToList();
        for (var i = random.Next(4); i > 0; i--)
        {
            var seen = view[ids[random.Next(ids.Count)]];
            var changed = seen with { Free = RandomFree(random, seen.Spec.Capacity, 0.5), Status = random.Next(8) == 0 ? DataCenterStatus.Draining : DataCenterStatus.Online };
            view[seen.Spec.Id] = changed;
            index.Update(changed.Spec.Id, changed.Free, changed.Status);
        }
    }

    private static (NationalTopology Topology, Dictionary<string, CandidateState> View) RandomPool(Random random)
    {
        var seed = Shipped.Topology;
        var hubs = seed.Hubs.Values.ToList();
        var sites = hubs.ToDictionary(h => h.Id, h => Enumerable.Range(0, random.Next(1, 4)).Select(_ => Near(random, h.Location)).ToList(), StringComparer.Ordinal);
        var colocated = random.NextDouble();
        var roomy = random.NextDouble();
        var profiles = Enumerable.Range(0, random.Next(1, 6)).Select(_ => new EnergyProfile(Pick(random, Pues), Pick(random, Grids), Pick(random, GreenShares), Pick(random, Prices))).ToList();
        var count = random.Next(0, 4) == 0 ? random.Next(1, 12) : random.Next(12, 400);
        var specs = Enumerable.Range(0, count).Select(i =>
        {
            var hub = hubs[random.Next(hubs.Count)];
            var location = random.NextDouble() < colocated ? Pick(random, sites[hub.Id]) : Near(random, hub.Location);
            var energy = random.Next(3) == 0 ? new EnergyProfile(Pick(random, Pues), Pick(random, Grids), Pick(random, GreenShares), Pick(random, Prices)) : Pick(random, profiles);
            var gpus = GpuModels.Where(_ => random.Next(3) == 0).Select(m => KeyValuePair.Create(m, 4 * random.Next(1, 5)));
            var capacity = ResourceVector.Of(4_000 * random.Next(1, 9), 8_192 * random.Next(1, 9), gpus);
            return new DataCenterSpec($"dc-{random.Next(1000):D3}-{i:D3}", $"dc {i}", hub.Id, location, capacity, energy);
        }).ToList();
        var topology = new NationalTopology(hubs, specs, seed.Power, seed.Latency, seed.TransferCnyPerGiB, []);
        var view = new Dictionary<string, CandidateState>(StringComparer.Ordinal);
        foreach (var spec in specs.OrderBy(s => s.Id, StringComparer.Ordinal))
        {
            var status = random.Next(10) switch { 0 => DataCenterStatus.Draining, 1 => DataCenterStatus.Offline, _ => DataCenterStatus.Online };
            IReadOnlyCollection<string>? tenants = random.Next(6) switch { 0 => [CandidateState.AnyTenant], 1 => ["acme"], 2 => ["other"], _ => null };
            view[spec.Id] = new CandidateState(spec, status, RandomFree(random, spec.Capacity, roomy), tenants);
        }

        return (topology, view);
    }

    /// <summary>
    /// Free capacity from none to all, in steps coarse enough that loads never chain within the tie window; all of it with
    /// probability <paramref name="roomy"/> (pools from mostly full to mostly empty).
    /// </summary>
    private static ResourceVector RandomFree(Random random, ResourceVector capacity, double roomy) =>
        random.NextDouble() < roomy ? capacity
        : random.Next(4) == 0 ? ResourceVector.Zero
        : ResourceVector.Of(
            capacity.CpuMillicores * random.Next(0, 9) / 8,
            capacity.MemoryMiB * random.Next(0, 9) / 8,
            capacity.Gpus.Select(g => KeyValuePair.Create(g.Key, g.Value * random.Next(0, 5) / 4)));

    /// <summary>Loan slices as a borrower scores them: a peer's data center with the slice as its capacity and the slice's room as free.</summary>
    private static List<CandidateState> RandomSlices(Random random, Dictionary<string, CandidateState> view, string origin)
    {
        var peers = view.Values.Where(v => v.Spec.HubId != origin).ToList();
        return [.. peers.Where(_ => random.Next(12) == 0).Take(4).Select(p =>
        {
            var amount = ResourceVector.Of(4_000 * random.Next(1, 4), 8_192 * random.Next(1, 4), p.Spec.Capacity.Gpus.Select(g => KeyValuePair.Create(g.Key, Math.Min(g.Value, 4))));
            return p with { Spec = p.Spec with { Capacity = amount }, Free = RandomFree(random, amount, 0.5) };
        })];
    }

    private static JobSpec RandomJob(Random random, NationalTopology topology, string origin)
    {
        var model = random.Next(4) == 0 ? Pick(random, GpuModels.Append("V100").ToArray()) : null;
        var resources = new ResourceRequest(1_000 * random.Next(1, 17), 1_024 * random.Next(1, 33), model is null ? 0 : random.Next(1, 9), model);
        var allowed = random.Next(3) == 0 ? topology.Hubs.Keys.Where(_ => random.Next(2) == 0).ToList() : [];
        var command = random.Next(6) == 0 ? new JobCommand("run", [], new Dictionary<string, string>()) : null;
        return new JobSpec(
            Tenant: random.Next(2) == 0 ? "acme" : "zeta",
            OriginHub: origin,
            Resources: resources,
            RunTime: TimeSpan.FromMinutes(random.Next(1, 600)),
            LatencyClass: (LatencyClass)random.Next(3),
            AllowedHubs: allowed,
            Priority: 500,
            Policy: (PlacementPolicy)random.Next(4),
            InputDataGiB: Pick(random, [0, 0.01, 5, 100]),
            Command: command);
    }

    private static GeoPoint Near(Random random, GeoPoint at) =>
        new(at.Lat + ((random.NextDouble() - 0.5) * 2), at.Lon + ((random.NextDouble() - 0.5) * 2));

    private static T Pick<T>(Random random, IReadOnlyList<T> from) => from[random.Next(from.Count)];
}
