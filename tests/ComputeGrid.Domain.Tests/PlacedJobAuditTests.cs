using ComputeGrid.Domain.Accounting;
using ComputeGrid.Domain.Jobs;
using ComputeGrid.Domain.Placement;
using ComputeGrid.Domain.Regions;
using ComputeGrid.Domain.Topology;

namespace ComputeGrid.Domain.Tests;

/// <summary>How a region reconciles the jobs it believes placed with the jobs themselves.</summary>
public class PlacedJobAuditTests
{
    private const int Passes = 3;
    private static readonly DateTimeOffset Now = new(2026, 12, 7, 0, 0, 0, TimeSpan.Zero);

    private static (RegionBook Book, PlacedJobAudit Audit) New(int placed = 1)
    {
        var book = new RegionBook(new Dictionary<string, WaitingJob>(StringComparer.Ordinal), new Dictionary<string, PlacedJob>(StringComparer.Ordinal), nextSequence: 0);
        for (var i = 1; i <= placed; i++)
        {
            book.Place($"job-{i}", Shipped.ValidJob, new JobPlacement("dc-1", "yangtze", "test", 10, Footprint.Zero, new EnergyProfile(1.2, 0.5, 0.4, 0.4)));
        }

        book.TakeWritePlan();
        return (book, new PlacedJobAudit(book, Passes));
    }

    [Theory]
    [InlineData(JobState.Running, "dc-1", AuditStep.Keep)]
    [InlineData(JobState.Scheduled, "dc-1", AuditStep.Keep)]
    [InlineData(JobState.Succeeded, "dc-1", AuditStep.Drop)]
    [InlineData(JobState.Cancelled, null, AuditStep.Drop)]
    [InlineData(JobState.Queued, null, AuditStep.Reassign)]
    [InlineData(JobState.Running, "dc-2", AuditStep.Keep)]
    [InlineData(null, null, AuditStep.Keep)]
    public void A_record_is_kept_while_its_job_agrees_dropped_when_the_job_ended_and_assigned_again_when_the_job_waits_for_it(JobState? state, string? placedAt, AuditStep step)
    {
        var (_, audit) = New();

        Assert.Equal(step, audit.Judge("job-1", state, placedAt));
    }

    [Theory]
    [InlineData(JobState.Running, "dc-2")]
    [InlineData(JobState.Preempted, null)]
    [InlineData(null, null)]
    public void A_disagreement_asks_the_job_only_once_it_lasted_the_configured_passes_in_a_row(JobState? state, string? placedAt)
    {
        var (_, audit) = New();

        var steps = Enumerable.Range(0, Passes).Select(_ => audit.Judge("job-1", state, placedAt)).ToList();

        Assert.Equal([AuditStep.Keep, AuditStep.Keep, AuditStep.AskIfSettling], steps);
    }

    [Fact]
    public void An_agreeing_pass_starts_the_count_of_disagreements_again()
    {
        var (_, audit) = New();
        audit.Judge("job-1", JobState.Running, "dc-2");
        audit.Judge("job-1", JobState.Running, "dc-2");

        audit.Judge("job-1", JobState.Running, "dc-1");

        Assert.Empty(audit.Suspects);
        Assert.Equal(AuditStep.Keep, audit.Judge("job-1", JobState.Running, "dc-2"));
    }

    [Theory]
    [InlineData(true, AuditStep.Keep)]
    [InlineData(null, AuditStep.Keep)]
    [InlineData(false, AuditStep.Drop)]
    public void A_lasting_suspect_is_dropped_only_when_the_job_says_it_is_not_about_to_record_a_placement(bool? settling, AuditStep step)
    {
        var (_, audit) = New();
        for (var i = 0; i < Passes; i++)
        {
            audit.Judge("job-1", JobState.Running, "dc-2");
        }

        Assert.Equal(step, audit.Settling("job-1", settling));
        Assert.Empty(audit.Suspects);
    }

    [Theory]
    [InlineData(true, AuditStep.Keep, 0)]
    [InlineData(false, AuditStep.Keep, 1)]
    public void A_reassignment_that_failed_counts_as_a_disagreement(bool done, AuditStep step, int suspects)
    {
        var (_, audit) = New();

        Assert.Equal(AuditStep.Reassign, audit.Judge("job-1", JobState.Queued, null));
        Assert.Equal(step, audit.Reassigned("job-1", done));
        Assert.Equal(suspects, audit.Suspects.Count);
    }

    [Theory]
    [InlineData(JobState.Preempted, false, true)]
    [InlineData(JobState.Pending, false, true)]
    [InlineData(JobState.Queued, true, true)]
    [InlineData(JobState.Succeeded, false, false)]
    [InlineData(JobState.Running, false, false)]
    [InlineData(null, false, false)]
    public void A_dropped_job_nobody_holds_that_is_not_finished_waits_again_in_the_queue_and_is_driven(JobState? state, bool queuedAlready, bool waits)
    {
        var (book, audit) = New();
        if (queuedAlready)
        {
            book.Enqueue("job-1", Shipped.ValidJob, Now);
            book.TakeWritePlan();
        }

        var drive = audit.Drop("job-1", state, state is null ? null : Shipped.ValidJob, Now);

        Assert.Equal(waits, drive);
        Assert.False(book.Placed.ContainsKey("job-1"));
        Assert.Equal(waits, book.Queue.ContainsKey("job-1"));
        Assert.Equal(waits ? 1 : 0, book.NextSequence);
        var plan = book.TakeWritePlan().Plan;
        Assert.Equal(RegionWrite.Queue, plan.First(w => w != RegionWrite.Record));
    }

    [Fact]
    public void A_pass_looks_at_a_batch_of_placed_jobs_in_turns_and_forgets_suspects_no_longer_placed()
    {
        var (book, audit) = New(placed: 3);
        audit.Judge("job-3", null, null);
        book.Release("job-3");

        var first = audit.NextTurn(2);
        book.Place("job-4", Shipped.ValidJob, book.Placed["job-1"].Placement);
        var second = audit.NextTurn(2);
        var third = audit.NextTurn(2);

        Assert.Equal(["job-1", "job-2"], first);
        Assert.Empty(audit.Suspects);
        Assert.Equal(["job-1", "job-2"], second);
        Assert.Equal(["job-4"], third);
    }
}
