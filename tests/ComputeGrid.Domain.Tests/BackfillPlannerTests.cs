using ComputeGrid.Domain.Accounting;
using ComputeGrid.Domain.Placement;
using ComputeGrid.Domain.Regions;
using ComputeGrid.Domain.Resources;
using ComputeGrid.Domain.Topology;

namespace ComputeGrid.Domain.Tests;

public class BackfillPlannerTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 7, 12, 0, 0, TimeSpan.Zero);

    private static ResourceRequest Cores(int n) => new(n * 1_000L, n * 1_024L);

    private static ResourceVector FreeCores(int n) => ResourceVector.Of(n * 1_000L, n * 1_024L);

    private static TimeSpan H(double hours) => TimeSpan.FromHours(hours);

    /// <summary>A waiting job of the table: its cores, declared run time and priority; a gang asks for all its members.</summary>
    public sealed record Waiting(string Id, int Cores, double Hours, int Priority = 100, int Members = 1)
    {
        public ResourceRequest Whole => BackfillPlannerTests.Cores(Cores * Members);

        public override string ToString() => Id;
    }

    /// <summary>A running job: where, how many cores, and how many hours until its declared end (null: unknown).</summary>
    public sealed record Running(string DataCenter, int Cores, double? EndsInHours)
    {
        public override string ToString() => $"{Cores} cores at {DataCenter} to +{EndsInHours}h";
    }

    /// <summary>
    /// One queue pass over data centers of 8 cores each (the first tried first), as the region runs it: each job in the
    /// discipline's order starts in the first data center where it fits and the pass lets it; one that starts nowhere is
    /// reported blocked, with the shadow start the planner computes from the running jobs' declared ends. The started jobs
    /// (gangs whole, in one data center), with where when there are two data centers.
    /// </summary>
    private static string Pass(QueueDiscipline discipline, Running[] running, Waiting[] queue, int dataCenters = 1)
    {
        var ids = Enumerable.Range(0, dataCenters).Select(i => $"dc-{(char)('a' + i)}").ToList();
        var free = ids.ToDictionary(d => d, d => FreeCores(8).Minus(running.Where(r => r.DataCenter == d).Aggregate(ResourceVector.Zero, (s, r) => s.Plus(Cores(r.Cores)))));
        var changes = running.Where(r => r.EndsInHours is not null).Select(r => CapacityChange.Freed(Now + H(r.EndsInHours!.Value), r.DataCenter, FreeCores(r.Cores))).ToList();
        var order = QueueDisciplines.Order(discipline, queue.Select((w, i) => new QueuedJob(w.Id, "t", w.Priority, i, w.Whole)), new Dictionary<string, ResourceVector>(), FreeCores(8 * dataCenters))
            .Select(q => queue.Single(w => w.Id == q.JobId));
        var pass = new QueuePass(discipline, Now);
        var started = new List<string>();
        foreach (var job in order)
        {
            if (pass.Stopped)
            {
                break;
            }

            if (ids.FirstOrDefault(d => free[d].Fits(job.Whole) && pass.MayStart(d, job.Whole, H(job.Hours))) is { } at)
            {
                free[at] = free[at].Minus(job.Whole);
                changes.Add(CapacityChange.Freed(Now + H(job.Hours), at, ResourceVector.Zero.Plus(job.Whole)));
                pass.Started(at, job.Whole, H(job.Hours));
                started.Add(dataCenters > 1 ? $"{job.Id}@{at}" : job.Id);
            }
            else
            {
                pass.Blocked(() => BackfillPlanner.Shadow(job.Id, job.Whole, H(job.Hours), ids.Select(d => new BackfillSite(d, free[d])), changes, Now));
            }
        }

        return string.Join(" ", started);
    }

    public static TheoryData<string, QueueDiscipline, Running[], Waiting[], int, string> Cases => new()
    {
        // 8 cores; 6 run for 2 more hours: "big" (8 cores) can start in 2 h at the earliest.
        { "backfill: the head is protected from a long small job", QueueDiscipline.Backfill, [new("dc-a", 6, 2)], [new("big", 8, 1), new("long", 2, 4)], 1, "" },
        { "fair share: a long small job overtakes the head (first fit)", QueueDiscipline.FairShare, [new("dc-a", 6, 2)], [new("big", 8, 1), new("long", 2, 4)], 1, "long" },
        { "backfill: a short job that ends before the head's start is backfilled", QueueDiscipline.Backfill, [new("dc-a", 6, 2)], [new("big", 8, 1), new("short", 2, 1.5)], 1, "short" },
        { "backfill: a job ending exactly at the head's start is backfilled", QueueDiscipline.Backfill, [new("dc-a", 6, 2)], [new("big", 8, 1), new("short", 2, 2)], 1, "short" },
        { "backfill: a long job that fits in what the head leaves free starts", QueueDiscipline.Backfill, [new("dc-a", 6, 2)], [new("head", 6, 1), new("long", 2, 4)], 1, "long" },
        { "backfill: what the head leaves free is used once", QueueDiscipline.Backfill, [new("dc-a", 4, 2)], [new("head", 6, 1), new("long-1", 2, 4), new("long-2", 2, 4)], 1, "long-1" },
        { "backfill: a gang at the head counts as its members' total", QueueDiscipline.Backfill, [new("dc-a", 6, 2)], [new("gang", 2, 1, Members: 4), new("long", 2, 4), new("short", 2, 1)], 1, "short" },
        { "fair share: a gang at the head is overtaken", QueueDiscipline.FairShare, [new("dc-a", 6, 2)], [new("gang", 2, 1, Members: 4), new("long", 2, 4), new("short", 2, 1)], 1, "long" },
        { "backfill: a waiting gang behind the head is backfilled whole when it ends in time", QueueDiscipline.Backfill, [new("dc-a", 4, 2)], [new("big", 8, 1), new("gang", 2, 1, Members: 2)], 1, "gang" },
        { "backfill: only the data center of the head's earliest start is protected", QueueDiscipline.Backfill, [new("dc-a", 6, 2), new("dc-b", 6, 10)], [new("big", 8, 1), new("long", 2, 4)], 2, "long@dc-b" },
        { "backfill: capacity held with no known end protects nothing", QueueDiscipline.Backfill, [new("dc-a", 6, null)], [new("big", 8, 1), new("long", 2, 4)], 1, "long" },
        { "backfill: only the first blocked job is protected", QueueDiscipline.Backfill, [new("dc-a", 6, 2)], [new("big", 8, 1), new("mid", 4, 1), new("short", 2, 1)], 1, "short" },
        { "strict priority: the pass stops at the first job it cannot place", QueueDiscipline.StrictPriority, [new("dc-a", 6, 2)], [new("big", 8, 1), new("short", 2, 1)], 1, "" },
        { "strict priority: jobs before the blocked one start", QueueDiscipline.StrictPriority, [new("dc-a", 4, 2)], [new("first", 2, 1), new("big", 8, 1), new("short", 2, 1)], 1, "first" },
        { "strict priority: higher priority goes first, then arrival", QueueDiscipline.StrictPriority, [new("dc-a", 6, 2)], [new("early", 2, 1), new("big", 8, 1, Priority: 500)], 1, "" },
        { "fair share: every job that fits starts, in order", QueueDiscipline.FairShare, [new("dc-a", 4, 2)], [new("a", 2, 1), new("big", 8, 1), new("b", 2, 9), new("c", 2, 9)], 1, "a b" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void A_queue_pass_starts_what_its_discipline_allows(string rule, QueueDiscipline discipline, Running[] running, Waiting[] queue, int dataCenters, string expected)
    {
        Assert.True(expected == Pass(discipline, running, queue, dataCenters), $"{rule}: started '{Pass(discipline, running, queue, dataCenters)}'");
    }

    [Fact]
    public void The_shadow_start_is_when_enough_running_jobs_have_ended_and_keeps_what_the_head_leaves_free()
    {
        Running[] running = [new("dc-a", 3, 1), new("dc-a", 3, 3)];
        var changes = running.Select(r => CapacityChange.Freed(Now + H(r.EndsInHours!.Value), r.DataCenter, FreeCores(r.Cores)));

        var shadow = BackfillPlanner.Shadow("head", Cores(4), H(1), [new BackfillSite("dc-a", FreeCores(2))], changes, Now);

        Assert.Equal(new ShadowStart("head", "dc-a", Now + H(1), FreeCores(1)), shadow);
    }

    [Fact]
    public void The_earliest_data_center_wins_and_the_first_in_order_wins_a_tie()
    {
        CapacityChange[] changes = [CapacityChange.Freed(Now + H(3), "dc-a", FreeCores(8)), CapacityChange.Freed(Now + H(2), "dc-b", FreeCores(8)), CapacityChange.Freed(Now + H(2), "dc-c", FreeCores(8))];
        BackfillSite[] sites = [new("dc-a", FreeCores(0)), new("dc-b", FreeCores(0)), new("dc-c", FreeCores(0))];

        Assert.Equal(("dc-b", Now + H(2)), BackfillPlanner.Shadow("head", Cores(8), H(1), sites, changes, Now) is { } s ? (s.DataCenterId, s.At) : default);
    }

    [Fact]
    public void Capacity_taken_during_the_heads_run_such_as_a_reservation_pushes_its_start_past_the_window()
    {
        // Free now, but a reservation takes 4 of the 8 cores from +1 h to +3 h: the head (8 cores, 2 h) starts at +3 h.
        CapacityChange[] changes = [CapacityChange.Taken(Now + H(1), "dc-a", FreeCores(4)), CapacityChange.Freed(Now + H(3), "dc-a", FreeCores(4))];

        var shadow = BackfillPlanner.Shadow("head", Cores(8), H(2), [new BackfillSite("dc-a", FreeCores(8))], changes, Now);

        Assert.Equal(Now + H(3), shadow?.At);
    }

    [Fact]
    public void What_the_head_leaves_free_is_the_least_over_its_run()
    {
        // 8 free now; a reservation takes 2 cores from +1 h for an hour: a 4-core head of 2 h starts now and leaves 2 free.
        CapacityChange[] changes = [CapacityChange.Taken(Now + H(1), "dc-a", FreeCores(2)), CapacityChange.Freed(Now + H(2), "dc-a", FreeCores(2))];

        var shadow = BackfillPlanner.Shadow("head", Cores(4), H(2), [new BackfillSite("dc-a", FreeCores(8))], changes, Now);

        Assert.Equal((Now, FreeCores(2)), shadow is { } s ? (s.At, s.Spare) : default);
    }

    [Fact]
    public void Changes_already_past_count_as_now()
    {
        var shadow = BackfillPlanner.Shadow("head", Cores(8), H(1), [new BackfillSite("dc-a", FreeCores(0))], [CapacityChange.Freed(Now - H(1), "dc-a", FreeCores(8))], Now);

        Assert.Equal(Now, shadow?.At);
    }

    [Theory]
    [InlineData(3, 2, true)]
    [InlineData(3, 3, true)]
    [InlineData(3, 4, false)]
    public void A_head_that_can_start_only_beyond_the_backfill_window_protects_nothing(int windowHours, int freedInHours, bool protectedHead)
    {
        // As Slurm's bf_window: the head's earliest start (when 8 cores free) counts only within the window.
        var shadow = BackfillPlanner.Shadow("head", Cores(8), H(1), [new BackfillSite("dc-a", FreeCores(0))], [CapacityChange.Freed(Now + H(freedInHours), "dc-a", FreeCores(8))], Now, H(windowHours));

        Assert.Equal(protectedHead ? Now + H(freedInHours) : (DateTimeOffset?)null, shadow?.At);
    }

    [Fact]
    public void Beyond_the_window_the_next_blocked_job_becomes_the_head()
    {
        var pass = new QueuePass(QueueDiscipline.Backfill, Now);
        CapacityChange[] changes = [CapacityChange.Freed(Now + H(48), "dc-a", FreeCores(8)), CapacityChange.Freed(Now + H(2), "dc-a", FreeCores(4))];
        BackfillSite[] sites = [new("dc-a", FreeCores(0))];

        pass.Blocked(() => BackfillPlanner.Shadow("far", Cores(8), H(1), sites, changes, Now, H(24)));
        pass.Blocked(() => BackfillPlanner.Shadow("near", Cores(4), H(1), sites, changes, Now, H(24)));

        Assert.Equal(("near", Now + H(2)), pass.Shadow is { } s ? (s.JobId, s.At) : default);
    }

    [Fact]
    public void A_head_no_data_center_ever_holds_has_no_shadow_start()
    {
        Assert.Null(BackfillPlanner.Shadow("head", Cores(16), H(1), [new BackfillSite("dc-a", FreeCores(0))], [CapacityChange.Freed(Now + H(1), "dc-a", FreeCores(8))], Now));
    }

    [Fact]
    public void Room_in_the_protected_data_center_is_the_spare_for_a_long_job_and_all_the_free_capacity_for_a_short_one()
    {
        var shadow = new ShadowStart("head", "dc-a", Now + H(2), FreeCores(1));

        Assert.Equal(
            (FreeCores(1), FreeCores(6), FreeCores(6)),
            (BackfillPlanner.Room(shadow, "dc-a", FreeCores(6), H(3), Now), BackfillPlanner.Room(shadow, "dc-a", FreeCores(6), H(1), Now), BackfillPlanner.Room(shadow, "dc-b", FreeCores(6), H(3), Now)));
    }

    [Fact]
    public void Strict_priority_orders_by_priority_then_arrival_ignoring_fair_share()
    {
        QueuedJob[] jobs = [new("heavy-1", "heavy", 100, 1, Cores(1)), new("light-1", "light", 100, 2, Cores(1)), new("urgent", "heavy", 900, 3, Cores(1))];
        var use = new Dictionary<string, ResourceVector>(StringComparer.Ordinal) { ["heavy"] = FreeCores(6) };

        var strict = QueueDisciplines.Order(QueueDiscipline.StrictPriority, jobs, use, FreeCores(8)).Select(j => j.JobId);
        var fair = QueueDisciplines.Order(QueueDiscipline.FairShare, jobs, use, FreeCores(8)).Select(j => j.JobId);
        var backfill = QueueDisciplines.Order(QueueDiscipline.Backfill, jobs, use, FreeCores(8)).Select(j => j.JobId);

        Assert.Equal(["urgent", "heavy-1", "light-1"], strict);
        Assert.Equal(["urgent", "light-1", "heavy-1"], fair);
        Assert.Equal(fair, backfill);
    }

    [Fact]
    public void A_placed_job_ends_by_its_placement_plus_its_run_time_and_one_past_it_frees_now()
    {
        var book = new RegionBook(new Dictionary<string, WaitingJob>(StringComparer.Ordinal), new Dictionary<string, PlacedJob>(StringComparer.Ordinal), 0);
        var energy = new EnergyProfile(1.2, 0.5, 0.4, 0.4);
        var spec = Shipped.ValidJob with { Resources = Cores(2), RunTime = H(2) };
        book.Place("late", spec, new JobPlacement("dc-a", "h", "r", 1, Footprint.Zero, energy), Now - H(3));
        book.Place("due", spec, new JobPlacement("dc-a", "h", "r", 1, Footprint.Zero, energy), Now);
        book.Place("on-loan", spec, new JobPlacement("dc-a", "h", "r", 1, Footprint.Zero, energy, "loan-1"), Now);
        book.Place("unknown", spec, new JobPlacement("dc-a", "h", "r", 1, Footprint.Zero, energy));
        book.Place("elsewhere", spec, new JobPlacement("dc-z", "h", "r", 1, Footprint.Zero, energy), Now);

        var ends = book.DeclaredEnds(d => d == "dc-a", Now).Select(c => c.At).Order().ToList();

        Assert.Equal(Now + H(2), book.Placed["due"].EndsBy);
        Assert.Equal([Now, Now + H(2)], ends);
    }
}
