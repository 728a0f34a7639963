using ComputeGrid.Domain.Jobs;
using ComputeGrid.Domain.Regions;
using ComputeGrid.Domain.Resources;

namespace ComputeGrid.Domain.Tests;

public class PreemptionPlannerTests
{
    private static readonly ResourceRequest Four = new(4000, 4096, 0, null);

    private static ResourceVector Free(long cores) => ResourceVector.Of(cores * 1000, cores * 1024);

    private static PreemptionCandidate Job(string id, int priority, long cores = 4, string dc = "dc-a") => new(id, dc, new ResourceRequest(cores * 1000, cores * 1024, 0, null), priority);

    private static string? Victims(PreemptionPlan? plan) => plan is null ? null : $"{plan.DataCenterId}: {string.Join(" ", plan.Victims.Select(v => v.JobId))}";

    public static TheoryData<string, PreemptionPolicy, int, PreemptionCandidate[], string?> Cases => new()
    {
        { "the policy Never never preempts", PreemptionPolicy.Never, 500, [Job("low", 10)], null },
        { "one lower-priority job makes room", PreemptionPolicy.LowerPriority, 500, [Job("low", 10)], "dc-a: low" },
        { "equal priority is never preempted", PreemptionPolicy.LowerPriority, 500, [Job("peer", 500)], null },
        { "higher priority is never preempted", PreemptionPolicy.LowerPriority, 500, [Job("boss", 900)], null },
        { "the lowest priority goes first", PreemptionPolicy.LowerPriority, 500, [Job("mid", 200), Job("low", 10)], "dc-a: low" },
        { "among equals the newest (last id) goes first", PreemptionPolicy.LowerPriority, 500, [Job("job-1", 10), Job("job-2", 10)], "dc-a: job-2" },
        { "two small jobs when one is not enough", PreemptionPolicy.LowerPriority, 500, [Job("s1", 10, 2), Job("s2", 20, 2), Job("big", 400, 8)], "dc-a: s1 s2" },
        { "a victim a later one made unnecessary is spared", PreemptionPolicy.LowerPriority, 500, [Job("small", 10, 1), Job("large", 20, 4)], "dc-a: large" },
        { "not enough lower-priority capacity preempts nothing", PreemptionPolicy.LowerPriority, 500, [Job("small", 10, 2), Job("boss", 900, 4)], null },
        { "the site needing fewer victims wins", PreemptionPolicy.LowerPriority, 500, [Job("a1", 10, 2), Job("a2", 10, 2), Job("b1", 300, 4, "dc-b")], "dc-b: b1" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void A_waiting_job_preempts_the_fewest_lower_priority_jobs_that_make_room_in_one_data_center(string rule, PreemptionPolicy policy, int priority, PreemptionCandidate[] holding, string? expected)
    {
        var sites = new[] { new PreemptionSite("dc-a", Free(0)), new PreemptionSite("dc-b", Free(0)) };
        Assert.True(expected == Victims(PreemptionPlanner.Choose(Four, priority, policy, sites, holding)), rule);
    }

    [Fact]
    public void A_site_with_room_already_needs_no_preemption()
    {
        var sites = new[] { new PreemptionSite("dc-a", Free(0)), new PreemptionSite("dc-b", Free(8)) };
        Assert.Null(PreemptionPlanner.Choose(Four, 500, PreemptionPolicy.LowerPriority, sites, [Job("low", 10)]));
    }

    [Fact]
    public void Free_capacity_counts_towards_the_room_so_fewer_victims_are_needed()
    {
        var sites = new[] { new PreemptionSite("dc-a", Free(2)) };
        var plan = PreemptionPlanner.Choose(Four, 500, PreemptionPolicy.LowerPriority, sites, [Job("a", 10, 2), Job("b", 20, 2)]);
        Assert.Equal("dc-a: a", Victims(plan));
    }

    [Fact]
    public void The_victims_reason_names_the_preemptor_both_priorities_and_the_notice()
    {
        Assert.Equal("preempted by job urgent (priority 900 over 10) after 30 s notice", PreemptionPlanner.Reason("urgent", 900, 10, TimeSpan.FromSeconds(30)));
    }
}
