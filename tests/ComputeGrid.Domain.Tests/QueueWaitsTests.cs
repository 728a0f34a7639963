using ComputeGrid.Domain.Jobs;
using ComputeGrid.Domain.Placement;
using ComputeGrid.Domain.Regions;
using ComputeGrid.Domain.Resources;

namespace ComputeGrid.Domain.Tests;

public class QueueWaitsTests
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 7, 8, 0, 0, TimeSpan.Zero);

    private static DateTimeOffset H(double hours) => T0.AddHours(hours);

    private static JobSpec Job(double runHours, int gpus = 1, string? reservation = null) =>
        new("acme", "gansu", new ResourceRequest(gpus * 1000, 1_024, gpus, "910B"), TimeSpan.FromHours(runHours), LatencyClass.Batch, [], 100, PlacementPolicy.Balanced, Reservation: reservation);

    /// <summary>The head backfill protects: job head starts in dc-1 at T0 + 1 h, leaving nothing spare.</summary>
    private static readonly ShadowStart Head = new("acme.head", "dc-1", H(1), ResourceVector.Zero);

    public static TheoryData<string, QueueDiscipline, string, double, string[], string?> Backfill => new()
    {
        // rule, discipline, job, its run hours, own data centers with room now, what the sentence names (null: none)
        { "a job whose run would delay the head's shadow start names the head and that start", QueueDiscipline.Backfill, "acme.long", 10, ["dc-1"], "would delay job acme.head, the head of gansu's queue, past its shadow start at 2026-12-07T09:00:00Z" },
        { "the head itself says its shadow start is kept clear", QueueDiscipline.Backfill, "acme.head", 1, [], "it heads gansu's queue, and its shadow start at 2026-12-07T09:00:00Z in dc-1" },
        { "a job that ends before the shadow start is not held back by it", QueueDiscipline.Backfill, "acme.short", 0.5, ["dc-1"], null },
        { "a job with room in another data center than the head's is not held back", QueueDiscipline.Backfill, "acme.long", 10, ["dc-1", "dc-2"], null },
        { "a job with no room anywhere waits for room, not for backfill", QueueDiscipline.Backfill, "acme.long", 10, [], null },
        { "fair share protects no head", QueueDiscipline.FairShare, "acme.long", 10, ["dc-1"], null },
    };

    [Theory]
    [MemberData(nameof(Backfill))]
    public void A_job_backfill_holds_back_says_which_head_and_its_shadow_start(string rule, QueueDiscipline discipline, string jobId, double runHours, string[] room, string? says)
    {
        var reason = QueueWaits.Reason("gansu", jobId, Job(runHours), discipline, null, null, Head, room, T0);

        Assert.True(says is null ? reason is null : reason?.Contains(says, StringComparison.Ordinal) == true, $"{rule}: {reason}");
    }

    public static TheoryData<string, string, bool, string?> Strict => new()
    {
        // rule, job, whether the head has a planned start, what the sentence names (null: none)
        { "a job behind the head names it, its priority and its earliest start", "acme.behind", true, "stops at its head, job acme.head (priority 500), which cannot start now (its earliest start is 2026-12-07T09:00:00Z in dc-1" },
        { "a head with no start from declared run times says so", "acme.behind", false, "no start can be promised to it" },
        { "the head itself is not told it waits behind itself", "acme.head", true, null },
    };

    [Theory]
    [MemberData(nameof(Strict))]
    public void A_job_behind_the_strict_priority_head_says_which_head_and_its_earliest_start(string rule, string jobId, bool planned, string? says)
    {
        var head = new StrictHead("acme.head", 500, planned ? Head : null);

        var reason = QueueWaits.Reason("gansu", jobId, Job(1), QueueDiscipline.StrictPriority, null, head, null, ["dc-1"], T0);

        Assert.True(says is null ? reason is null : reason?.Contains(says, StringComparison.Ordinal) == true, $"{rule}: {reason}");
    }

    public static TheoryData<string, double, string> Reservations => new()
    {
        // rule, now (hours from T0), what the sentence names; the window is [T0 + 2 h, T0 + 4 h)
        { "before the window a job names its reservation and when the window opens", 0, "waits for advance reservation acme.train, whose window opens at 2026-12-07T10:00:00Z" },
        { "inside the window it says the window is open", 3, "advance reservation acme.train's window is open (since 2026-12-07T10:00:00Z, until 2026-12-07T12:00:00Z)" },
    };

    [Theory]
    [MemberData(nameof(Reservations))]
    public void A_job_waiting_for_its_reservation_names_it_and_its_start(string rule, double now, string says)
    {
        var window = new ReservationWindow("acme.train", H(2), H(4));

        var reason = QueueWaits.Reason("gansu", "acme.in", Job(1, reservation: "acme.train"), QueueDiscipline.StrictPriority, window, new StrictHead("acme.head", 500, null), Head, ["dc-1"], H(now));

        Assert.True(reason?.Contains(says, StringComparison.Ordinal) == true, $"{rule}: {reason}");
    }

    [Fact]
    public void A_held_back_job_is_summarised_with_its_place_in_the_queue_the_reason_and_the_feasible_count()
    {
        var summary = QueueWaits.Summary("gansu", 2, 3, "backfill: something", 4, 19);

        Assert.Equal("Queued, position 2 of 3 in gansu's queue: backfill: something; 4 of 19 data centers feasible", summary);
    }
}
