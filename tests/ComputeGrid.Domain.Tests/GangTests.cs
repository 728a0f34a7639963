using ComputeGrid.Domain.Gangs;
using ComputeGrid.Domain.Jobs;
using ComputeGrid.Domain.Regions;
using ComputeGrid.Domain.Resources;

namespace ComputeGrid.Domain.Tests;

public class GangPlannerTests
{
    /// <summary>One member: 8 910B GPUs.</summary>
    private static readonly ResourceRequest Member = new(8_000, 64 * 1024, 8, "910B");

    private static GangSite Site(string dc, string hub, int gpus, double latencyMs = 1) =>
        new(dc, hub, latencyMs, ResourceVector.Of(1_000_000, 1024L * 1024 * 1024, [new("910B", gpus)]));

    private static string? Shares(GangPlan? plan) =>
        plan is null ? null : string.Join(" ", plan.Shares.Select(s => $"{s.DataCenterId}:{s.Members}"));

    public static TheoryData<string, int, LatencyClass, GangSite[], string?> Cases => new()
    {
        { "fits in one data center: the first in the policy's ranking with room for all", 8, LatencyClass.Batch, [Site("a1", "a", 32), Site("a2", "a", 64), Site("a3", "a", 128)], "a2:8" },
        { "spread over one hub's data centers, most room first", 8, LatencyClass.Batch, [Site("a1", "a", 16), Site("a2", "a", 40), Site("a3", "a", 24)], "a2:5 a3:3" },
        { "refused when only part fits (nothing planned, nothing partial)", 8, LatencyClass.Batch, [Site("a1", "a", 32), Site("a2", "a", 16)], null },
        { "never across hubs, even when two hubs together would have room", 8, LatencyClass.Batch, [Site("a1", "a", 32), Site("b1", "b", 32)], null },
        { "the other hub when only it has room for all", 8, LatencyClass.Batch, [Site("a1", "a", 32), Site("b1", "b", 32), Site("b2", "b", 40)], "b2:5 b1:3" },
        { "the latency class rules out data centers beyond its bound", 8, LatencyClass.Interactive, [Site("a1", "a", 64, latencyMs: 12), Site("a2", "a", 32, latencyMs: 2), Site("a3", "a", 32, latencyMs: 3)], "a2:4 a3:4" },
        { "refused when the room is only beyond the latency bound", 8, LatencyClass.Regional, [Site("a1", "a", 64, latencyMs: 25), Site("a2", "a", 32, latencyMs: 2)], null },
        { "a data center without room for one member takes none", 2, LatencyClass.Batch, [Site("a1", "a", 7), Site("a2", "a", 8), Site("a3", "a", 9)], "a2:1 a3:1" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void A_gang_is_placed_whole_in_one_data_center_or_over_one_hubs_data_centers_or_not_at_all(string rule, int members, LatencyClass latency, GangSite[] ranked, string? expected)
    {
        Assert.True(expected == Shares(GangPlanner.Plan(Member, members, latency, ranked)), $"{rule}: got {Shares(GangPlanner.Plan(Member, members, latency, ranked)) ?? "null"}");
    }

    [Fact]
    public void Every_member_is_assigned_exactly_once_and_the_shares_add_up_to_the_gang()
    {
        var plan = GangPlanner.Plan(Member, 8, LatencyClass.Batch, [Site("a1", "a", 40), Site("a2", "a", 24)])!;
        var assigned = GangPlanner.Assign(plan);
        Assert.Equal(Enumerable.Range(0, 8), assigned.Select(a => a.Member));
        Assert.Equal(5, assigned.Count(a => a.Share.DataCenterId == "a1"));
        Assert.Equal("8 members in a1 (5), a2 (3), all in hub a", plan.Describe());
    }

    [Theory]
    [InlineData(64, 8)]
    [InlineData(63, 7)]
    [InlineData(7, 0)]
    public void Members_fitting_counts_whole_members_only(int gpus, int expected)
    {
        Assert.Equal(expected, GangPlanner.MembersFitting(Site("a1", "a", gpus).Room, Member, 100));
    }
}

public class GangReservationTests
{
    [Fact]
    public void A_gang_is_placed_only_when_every_member_is_held()
    {
        var outcome = GangReservation.Settle([new("g+0", "a1", true), new("g+1", "a2", true)]);
        Assert.True(outcome.Placed);
        Assert.Empty(outcome.Release);
    }

    [Fact]
    public void When_one_data_center_refuses_what_the_others_reserved_in_the_same_attempt_is_released()
    {
        var outcome = GangReservation.Settle([new("g+0", "a1", true), new("g+1", "a1", true), new("g+2", "a2", false), new("g+3", "a3", true)]);
        Assert.False(outcome.Placed);
        Assert.Equal(["g+0", "g+1", "g+3"], outcome.Release.Select(r => r.MemberId));
    }

    [Fact]
    public void An_attempt_with_no_answers_places_nothing()
    {
        Assert.False(GangReservation.Settle([]).Placed);
    }
}

public class GangBookTests
{
    private static readonly DateTimeOffset Now = new(2026, 3, 1, 8, 0, 0, TimeSpan.Zero);

    private static readonly JobSpec Template = Shipped.ValidJob with { Resources = new ResourceRequest(8_000, 64 * 1024, 8, "910B") };

    private static (GangBook Book, TestGangSheet Sheet) Placed(int members = 3, int restarts = 0)
    {
        var sheet = new TestGangSheet();
        var book = new GangBook("acme.train", sheet);
        book.Open(Template, members, restarts, Now);
        book.Placed(0, [.. Enumerable.Repeat("a1", members)], $"{members} members in a1", Now);
        return (book, sheet);
    }

    [Fact]
    public void A_gang_placed_at_submission_is_accepted_and_scheduled_in_one_write_saying_gang_placed()
    {
        var (_, sheet) = Placed();
        Assert.Equal(JobState.Scheduled, sheet.State);
        Assert.Equal([JobState.Pending, JobState.Scheduled], sheet.History.Select(h => h.State));
        Assert.StartsWith("gang placed: 3 members in a1", sheet.History[^1].Detail);
    }

    [Fact]
    public void A_gang_that_does_not_fit_waits_whole_as_one_queue_entry()
    {
        var sheet = new TestGangSheet();
        var book = new GangBook("acme.train", sheet);
        book.Open(Template, 4, 0, Now);
        book.Placed(0, null, "waiting whole in yangtze's queue", Now);
        Assert.Equal(JobState.Queued, sheet.State);
        Assert.Equal(new JobGang("acme.train", 4, 0), book.WholeSpec.Gang);
        Assert.True(book.WholeSpec.IsWholeGang);
    }

    [Fact]
    public void The_gang_runs_once_every_member_started_and_succeeds_once_every_member_succeeded()
    {
        var (book, sheet) = Placed(members: 2);
        Assert.Empty(book.MemberChanged(0, 0, JobState.Running, "started", Now).Steps);
        Assert.Equal(JobState.Running, book.MemberChanged(1, 0, JobState.Running, "started", Now).Steps.Single().State);
        book.MemberChanged(0, 0, JobState.Succeeded, "exit 0", Now);
        Assert.Equal(JobState.Running, sheet.State);
        book.MemberChanged(1, 0, JobState.Succeeded, "exit 0", Now);
        Assert.Equal(JobState.Succeeded, sheet.State);
    }

    [Fact]
    public void A_member_failure_fails_the_gang_and_cancels_the_other_members()
    {
        var (book, sheet) = Placed(members: 3);
        book.MemberChanged(2, 0, JobState.Succeeded, "done", Now);
        var reaction = book.MemberChanged(1, 0, JobState.Failed, "exit 1", Now);
        Assert.Equal(JobState.Failed, sheet.State);
        Assert.Equal("gang failed: member 1 failed: exit 1", sheet.History[^1].Detail);
        Assert.Equal(["acme.train+0"], reaction.CancelMembers);
        Assert.False(reaction.PlaceAgain);
    }

    [Fact]
    public void A_member_failure_restarts_the_gang_whole_under_new_member_ids_while_restarts_remain()
    {
        var (book, sheet) = Placed(members: 2, restarts: 1);
        var reaction = book.MemberChanged(0, 0, JobState.Failed, "exit 1", Now);
        Assert.Equal(JobState.Queued, sheet.State);
        Assert.True(reaction.PlaceAgain);
        Assert.Equal(["acme.train+1"], reaction.CancelMembers);
        Assert.Equal("acme.train+0.r1", book.MemberId(0));
        Assert.Equal(1, book.WholeSpec.Gang!.Attempt);

        // The cancelled member of the old attempt reports: ignored.
        Assert.Same(GangReaction.None, book.MemberChanged(1, 0, JobState.Cancelled, "cancelled", Now));

        book.Placed(1, ["a1", "a1"], "2 members in a1", Now);
        var second = book.MemberChanged(1, 1, JobState.Failed, "exit 2", Now);
        Assert.Equal(JobState.Failed, sheet.State);
        Assert.False(second.PlaceAgain);
        Assert.Contains("after 1 restarts", sheet.History[^1].Detail);
    }

    [Fact]
    public void A_preempted_member_requeues_the_gang_whole_without_using_a_restart()
    {
        var (book, sheet) = Placed(members: 2);
        var reaction = book.MemberChanged(0, 0, JobState.Preempted, "recalled", Now);
        Assert.Equal(JobState.Queued, sheet.State);
        Assert.True(reaction.PlaceAgain);
        Assert.Equal(0, sheet.Restarts);
    }

    [Fact]
    public void A_cancelled_gang_records_its_members_ends_so_its_member_list_agrees_with_the_members_and_does_nothing_else()
    {
        var (book, sheet) = Placed(members: 2);
        book.MemberChanged(0, 0, JobState.Running, "started", Now);
        book.MemberChanged(1, 0, JobState.Running, "started", Now);
        book.Cancel("by client", Now);
        var steps = sheet.History.Count;

        var reaction = book.MemberChanged(0, 0, JobState.Cancelled, "its gang ended", Now);
        var late = book.MemberChanged(1, 1, JobState.Cancelled, "another attempt", Now);

        Assert.True(reaction is { Changed: true, Steps.Count: 0, CancelMembers.Count: 0 });
        Assert.False(late.Changed);
        Assert.Equal([JobState.Cancelled, JobState.Running], sheet.MemberStates);
        Assert.Equal((JobState.Cancelled, steps), (sheet.State, sheet.History.Count));
    }

    [Fact]
    public void Cancelling_a_queued_gang_takes_its_entry_out_of_the_queue_and_cancelling_a_placed_one_cancels_its_members()
    {
        var sheet = new TestGangSheet();
        var queued = new GangBook("g", sheet);
        queued.Open(Template, 2, 0, Now);
        queued.Placed(0, null, "waiting", Now);
        var a = queued.Cancel("by client", Now);
        Assert.True(a.Dequeue);
        Assert.Empty(a.CancelMembers);

        var (placed, _) = Placed(members: 2);
        var b = placed.Cancel("by client", Now);
        Assert.False(b.Dequeue);
        Assert.Equal(["acme.train+0", "acme.train+1"], b.CancelMembers);
    }

    [Fact]
    public void A_placement_answer_for_another_attempt_is_ignored()
    {
        var sheet = new TestGangSheet();
        var book = new GangBook("g", sheet);
        book.Open(Template, 2, 0, Now);
        book.Placed(0, null, "waiting", Now);
        Assert.Empty(book.Placed(3, ["a1", "a1"], "2 members in a1", Now));
        Assert.Equal(JobState.Queued, sheet.State);
    }

    [Theory]
    [InlineData(0, 0, "gang.members", "must be at least 1")]
    [InlineData(-3, 0, "gang.members", "must be at least 1")]
    [InlineData(GangRules.MaxMembers + 1, 0, "gang.members", "must be at most 256")]
    [InlineData(4, -1, "gang.maxRestarts", "must be between 0 and 10")]
    [InlineData(4, GangRules.MaxRestarts + 1, "gang.maxRestarts", "must be between 0 and 10")]
    public void A_gang_outside_its_limits_is_refused_naming_the_field(int members, int restarts, string field, string reason)
    {
        var error = Assert.Single(GangRules.Validate(Template, members, restarts, "g"));
        Assert.Equal(field, error.Field);
        Assert.Equal(reason, error.Reason);
    }

    [Fact]
    public void A_members_command_is_told_its_index_the_gangs_size_and_id()
    {
        var template = Template with { Command = new JobCommand("torchrun", ["train.py"], new Dictionary<string, string>()) };
        var env = GangRules.MemberSpec(template, "acme.train", 4, 2, 0).Command!.Environment;
        Assert.Equal("2", env[GangRules.MemberVariable]);
        Assert.Equal("4", env[GangRules.MembersVariable]);
        Assert.Equal("acme.train", env[GangRules.GangIdVariable]);
    }

    [Fact]
    public void A_gang_member_is_never_queued_or_driven_on_its_own()
    {
        var member = GangRules.MemberSpec(Template, "g", 2, 0, 0);
        var region = new RegionBook(new Dictionary<string, WaitingJob>(), new Dictionary<string, PlacedJob>(), 0);
        var audit = new PlacedJobAudit(region, 3);
        Assert.False(audit.Drop("g+0", JobState.Preempted, member, Now));
        Assert.Empty(region.Queue);

        var sheet = new TestJobSheet { Spec = member, State = JobState.Preempted };
        Assert.Equal(JobDriveAction.None, new JobBook("g+0", sheet, Shipped.Topology.Power, 0).Drive(Now).Action);
    }
}

/// <summary>A gang's state in memory, as the grain's record holds it.</summary>
internal sealed class TestGangSheet : IGangSheet
{
    public List<JobStep> History { get; } = [];

    public JobSpec? Template { get; set; }

    public int Members { get; set; }

    public int MaxRestarts { get; set; }

    public JobState State { get; set; }

    public int Attempt { get; set; }

    public int Restarts { get; set; }

    public DateTimeOffset SubmittedAt { get; set; }

    public List<JobState> MemberStates { get; set; } = [];

    public List<string?> MemberDataCenters { get; set; } = [];

    public int Steps => History.Count;

    public void Add(JobStep step) => History.Add(step);
}
