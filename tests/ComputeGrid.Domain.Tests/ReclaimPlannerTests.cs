using ComputeGrid.Domain.Loans;
using ComputeGrid.Domain.Resources;

namespace ComputeGrid.Domain.Tests;

/// <summary>
/// Kueue's reclaimWithinCohort translated to hubs: a lender whose own waiting job would fit within its nominal quota
/// recalls lent slices according to its reclaim policy.
/// </summary>
public class ReclaimPlannerTests
{
    /// <summary>The lender's own job waiting for room: 10 cores, 40,000 MiB, priority 500.</summary>
    private static readonly ResourceRequest Waiting = new(10_000, 40_000);

    private const int WaitingPriority = 500;

    private static readonly ResourceVector Nominal = ResourceVector.Of(100_000, 400_000);

    private static readonly ResourceVector OwnUse = ResourceVector.Of(50_000, 200_000);

    private static readonly DateTimeOffset T0 = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private static readonly Dictionary<string, ReclaimCase> Cases = new()
    {
        ["policy Never recalls nothing whatever is lent"] = new(
            ReclaimPolicy.Never, [Site("dc-a", 0, Slice("unused", 10, null))], Recalls: []),
        ["policy LowerPriority recalls an unused slice"] = new(
            ReclaimPolicy.LowerPriority, [Site("dc-a", 0, Slice("unused", 10, null))], Recalls: ["unused"]),
        ["policy LowerPriority recalls a slice whose borrowed jobs all have a lower priority"] = new(
            ReclaimPolicy.LowerPriority, [Site("dc-a", 0, Slice("low", 10, 100))], Recalls: ["low"]),
        ["policy LowerPriority does not recall a slice running a job of the same priority"] = new(
            ReclaimPolicy.LowerPriority, [Site("dc-a", 0, Slice("equal", 10, WaitingPriority))], Recalls: []),
        ["policy LowerPriority does not recall a slice running a higher-priority job"] = new(
            ReclaimPolicy.LowerPriority, [Site("dc-a", 0, Slice("high", 10, 900))], Recalls: []),
        ["policy LowerPriority recalls an unused slice before a lower-priority one"] = new(
            ReclaimPolicy.LowerPriority, [Site("dc-a", 0, Slice("low", 10, 100), Slice("unused", 10, null))], Recalls: ["unused"]),
        ["policy LowerPriority recalls the lowest priority first"] = new(
            ReclaimPolicy.LowerPriority, [Site("dc-a", 0, Slice("p300", 10, 300), Slice("p100", 10, 100))], Recalls: ["p100"]),
        ["policy LowerPriority recalls the newer of two unused loans first"] = new(
            ReclaimPolicy.LowerPriority, [Site("dc-a", 0, Slice("older", 10, null, hoursAfterT0: 1), Slice("newer", 10, null, hoursAfterT0: 2))], Recalls: ["newer"]),
        ["equal slices of the same age go by loan id"] = new(
            ReclaimPolicy.LowerPriority, [Site("dc-a", 0, Slice("loan-b", 10, null), Slice("loan-a", 10, null))], Recalls: ["loan-a"]),
        ["policy LowerPriority skips a higher-priority slice and recalls the lower one behind it"] = new(
            ReclaimPolicy.LowerPriority, [Site("dc-a", 0, Slice("high", 10, 900), Slice("low", 10, 100))], Recalls: ["low"]),
        ["policy Any recalls a slice running a higher-priority job"] = new(
            ReclaimPolicy.Any, [Site("dc-a", 0, Slice("high", 10, 900))], Recalls: ["high"]),
        ["policy Any still recalls an unused slice before a used one"] = new(
            ReclaimPolicy.Any, [Site("dc-a", 0, Slice("high", 10, 900), Slice("unused", 10, null))], Recalls: ["unused"]),
        ["the free capacity of the site counts toward the room"] = new(
            ReclaimPolicy.Any, [Site("dc-a", 6, Slice("small", 4, null))], Recalls: ["small"]),
        ["a slice a later one made unnecessary is not recalled"] = new(
            ReclaimPolicy.LowerPriority, [Site("dc-a", 0, Slice("unused-small", 2, null), Slice("low-big", 10, 100))], Recalls: ["low-big"]),
        ["several slices are recalled when one is not enough"] = new(
            ReclaimPolicy.Any, [Site("dc-a", 0, Slice("a", 6, null), Slice("b", 6, 100))], Recalls: ["a", "b"]),
        ["nothing is recalled when the site cannot be freed enough"] = new(
            ReclaimPolicy.LowerPriority, [Site("dc-a", 0, Slice("unused", 6, null), Slice("high", 6, 900))], Recalls: []),
        ["nothing is recalled when a site already has room for the waiting job"] = new(
            ReclaimPolicy.Any, [Site("dc-a", 0, Slice("unused", 10, null)), Site("dc-b", 10)], Recalls: []),
        ["the site needing the fewest recalls wins"] = new(
            ReclaimPolicy.Any,
            [Site("dc-a", 0, Slice("a1", 5, null), Slice("a2", 5, null)), Site("dc-b", 0, Slice("b1", 10, 100))],
            Recalls: ["b1"]),
        ["of two sites needing as many recalls the first wins"] = new(
            ReclaimPolicy.Any, [Site("dc-a", 0, Slice("a1", 10, 100)), Site("dc-b", 0, Slice("b1", 10, null))], Recalls: ["a1"]),
        ["a site that cannot be freed enough loses to one that can"] = new(
            ReclaimPolicy.LowerPriority,
            [Site("dc-a", 0, Slice("a-high", 10, 900)), Site("dc-b", 2, Slice("b1", 4, null), Slice("b2", 4, 100))],
            Recalls: ["b1", "b2"]),
        ["no site at all recalls nothing"] = new(ReclaimPolicy.Any, [], Recalls: []),
    };

    public static TheoryData<string> Scenarios => [.. Cases.Keys];

    [Theory]
    [MemberData(nameof(Scenarios))]
    public void A_lender_recalls_lent_slices_by_its_reclaim_policy(string scenario)
    {
        var c = Cases[scenario];

        var recalls = ReclaimPlanner.Choose(c.Policy, Waiting, WaitingPriority, OwnUse, Nominal, c.Sites);

        Assert.Equal(c.Recalls, recalls);
    }

    [Theory]
    [InlineData(ReclaimPolicy.LowerPriority)]
    [InlineData(ReclaimPolicy.Any)]
    public void Nothing_is_recalled_when_own_use_plus_the_waiting_job_exceeds_the_nominal_quota(ReclaimPolicy policy)
    {
        var sites = new[] { Site("dc-a", 0, Slice("unused", 10, null)) };

        var recalls = ReclaimPlanner.Choose(policy, Waiting, WaitingPriority, ResourceVector.Of(90_001, 200_000), Nominal, sites);

        Assert.Empty(recalls);
    }

    [Fact]
    public void A_lender_reclaims_up_to_exactly_its_nominal_quota()
    {
        var sites = new[] { Site("dc-a", 0, Slice("unused", 10, null)) };

        var recalls = ReclaimPlanner.Choose(ReclaimPolicy.LowerPriority, Waiting, WaitingPriority, ResourceVector.Of(90_000, 360_000), Nominal, sites);

        Assert.Equal(["unused"], recalls);
    }

    [Fact]
    public void Memory_short_of_the_waiting_job_is_reclaimed_like_CPU()
    {
        var site = new ReclaimSite("dc-a", ResourceVector.Of(50_000, 1_000), [new LentSlice("mem", ResourceVector.Of(0, 39_000), null, T0)]);

        var recalls = ReclaimPlanner.Choose(ReclaimPolicy.LowerPriority, Waiting, WaitingPriority, OwnUse, Nominal, [site]);

        Assert.Equal(["mem"], recalls);
    }

    [Fact]
    public void A_waiting_GPU_job_gets_back_a_slice_holding_its_GPU_model()
    {
        var gpuJob = new ResourceRequest(1_000, 1_000, 2, "910B");
        var site = new ReclaimSite(
            "dc-a",
            ResourceVector.Of(50_000, 50_000, [new("910B", 1)]),
            [new LentSlice("a800", ResourceVector.Of(0, 0, [new("A800", 8)]), null, T0.AddHours(2)), new LentSlice("910b", ResourceVector.Of(0, 0, [new("910B", 1)]), null, T0)]);
        var nominal = ResourceVector.Of(100_000, 400_000, [new("910B", 8), new("A800", 8)]);

        var recalls = ReclaimPlanner.Choose(ReclaimPolicy.Any, gpuJob, WaitingPriority, OwnUse, nominal, [site]);

        Assert.Contains("910b", recalls);
    }

    private static ReclaimSite Site(string id, int freeCores, params LentSlice[] lent) =>
        new(id, ResourceVector.Of(freeCores * 1_000L, freeCores * 4_000L), lent);

    private static LentSlice Slice(string loanId, int cores, int? highestPriority, int hoursAfterT0 = 0) =>
        new(loanId, ResourceVector.Of(cores * 1_000L, cores * 4_000L), highestPriority, T0.AddHours(hoursAfterT0));

    private sealed record ReclaimCase(ReclaimPolicy Policy, ReclaimSite[] Sites, string[] Recalls);
}
