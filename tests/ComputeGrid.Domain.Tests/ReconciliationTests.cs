using ComputeGrid.Domain.Jobs;

namespace ComputeGrid.Domain.Tests;

public class ReconciliationTests
{
    private const string Here = "guian";
    private const string There = "zhongwei";

    public static TheoryData<JobState?, string?, ReservationVerdict> Reservations => new()
    {
        { JobState.Scheduled, Here, ReservationVerdict.KeepAndRun },
        { JobState.Running, Here, ReservationVerdict.KeepAndRun },
        { JobState.Succeeded, Here, ReservationVerdict.FinishExit },
        { JobState.Failed, Here, ReservationVerdict.FinishExit },
        { JobState.Cancelled, Here, ReservationVerdict.FinishExit },
        { JobState.Cancelled, null, ReservationVerdict.EndedElsewhere },
        { JobState.Succeeded, There, ReservationVerdict.EndedElsewhere },
        { JobState.Failed, There, ReservationVerdict.EndedElsewhere },
        { JobState.Scheduled, There, ReservationVerdict.Suspect },
        { JobState.Running, There, ReservationVerdict.Suspect },
        { JobState.Pending, null, ReservationVerdict.Suspect },
        { JobState.Queued, null, ReservationVerdict.Suspect },
        { JobState.Preempted, Here, ReservationVerdict.Suspect },
        { null, null, ReservationVerdict.Suspect },
    };

    [Theory]
    [MemberData(nameof(Reservations))]
    public void A_reservation_is_kept_only_while_its_job_holds_capacity_here_an_ended_job_repeats_its_exit_and_one_that_ended_elsewhere_is_suspect(JobState? state, string? placedAt, ReservationVerdict expected) =>
        Assert.Equal(expected, Reconciliation.JudgeReservation(Here, state, placedAt));

    [Fact]
    public void A_loan_the_record_lists_but_the_ledger_does_not_hold_is_missing_and_a_held_slice_of_an_unlisted_loan_is_stray()
    {
        var (missing, stray) = Reconciliation.CompareLoanSlices(held: ["loan-b", "loan-c", "loan-z"], recorded: ["loan-a", "loan-c", "loan-d"]);

        Assert.Equal(["loan-a", "loan-d"], missing);
        Assert.Equal(["loan-b", "loan-z"], stray);
    }

    [Fact]
    public void A_ledger_that_holds_exactly_the_recorded_loans_needs_no_repair()
    {
        var (missing, stray) = Reconciliation.CompareLoanSlices(held: ["loan-a", "loan-b"], recorded: ["loan-b", "loan-a"]);

        Assert.Empty(missing);
        Assert.Empty(stray);
    }

    public static TheoryData<string?, JobState?, string?, RegionVerdict> RegionRecords => new()
    {
        { Here, JobState.Scheduled, Here, RegionVerdict.Agrees },
        { Here, JobState.Running, Here, RegionVerdict.Agrees },
        { Here, JobState.Running, There, RegionVerdict.Suspect },
        { Here, JobState.Queued, null, RegionVerdict.Reassign },
        { Here, JobState.Preempted, Here, RegionVerdict.Suspect },
        { Here, JobState.Pending, null, RegionVerdict.Suspect },
        { Here, JobState.Succeeded, Here, RegionVerdict.Drop },
        { Here, JobState.Cancelled, null, RegionVerdict.Drop },
        { Here, null, null, RegionVerdict.Suspect },
        { null, JobState.Queued, null, RegionVerdict.Agrees },
        { null, JobState.Preempted, Here, RegionVerdict.Agrees },
        { null, JobState.Running, Here, RegionVerdict.Suspect },
        { null, JobState.Failed, Here, RegionVerdict.Drop },
    };

    [Theory]
    [MemberData(nameof(RegionRecords))]
    public void A_region_record_agrees_only_with_a_job_in_the_same_place_an_ended_job_drops_it_at_once_and_a_queued_job_it_placed_is_assigned_again(string? recordedAt, JobState? state, string? placedAt, RegionVerdict expected) =>
        Assert.Equal(expected, Reconciliation.JudgeRegionRecord(recordedAt, state, placedAt));

    [Theory]
    [InlineData(60, null, 0, 60)]
    [InlineData(60, 0, 0, 60)]
    [InlineData(60, 0, 25, 35)]
    [InlineData(60, 0, 60, 0)]
    [InlineData(60, 0, 600, 0)]
    [InlineData(60, 30, 10, 60)]
    public void A_restarted_simulated_job_runs_only_what_is_left_of_its_run_time(int runMinutes, int? startedMinute, int nowMinute, int leftMinutes)
    {
        var epoch = new DateTimeOffset(2026, 11, 25, 0, 0, 0, TimeSpan.Zero);
        DateTimeOffset? started = startedMinute is { } s ? epoch.AddMinutes(s) : null;
        Assert.Equal(TimeSpan.FromMinutes(leftMinutes), Reconciliation.RemainingRunTime(TimeSpan.FromMinutes(runMinutes), started, epoch.AddMinutes(nowMinute)));
    }

    [Fact]
    public void A_record_is_repaired_only_after_disagreeing_for_the_required_passes_in_a_row()
    {
        var suspects = new Dictionary<string, int>(StringComparer.Ordinal);
        Assert.False(Reconciliation.Persisted(suspects, "job-1", 3));
        Assert.False(Reconciliation.Persisted(suspects, "job-1", 3));
        Assert.True(Reconciliation.Persisted(suspects, "job-1", 3));
        Assert.False(Reconciliation.Persisted(suspects, "job-2", 3));

        // An agreeing pass in between starts the count again (the caller forgets the key).
        suspects.Remove("job-1");
        Assert.False(Reconciliation.Persisted(suspects, "job-1", 3));
    }

    [Fact]
    public void A_pass_reads_at_most_a_batch_and_every_held_record_once_per_round()
    {
        var rotation = new ReconcileRotation();
        var held = Enumerable.Range(0, 7).Select(i => $"job-{i}").ToList();

        var first = rotation.Next(held, 3);
        var second = rotation.Next(held, 3);
        var third = rotation.Next(held, 3);

        Assert.Equal(3, first.Count);
        Assert.Equal(3, second.Count);
        Assert.Single(third);
        Assert.Equal(held, first.Concat(second).Concat(third));
        Assert.Equal(0, rotation.Remaining);
    }

    [Fact]
    public void A_record_added_during_a_round_waits_for_the_next_round()
    {
        var rotation = new ReconcileRotation();
        var held = new List<string> { "a", "b", "c" };
        Assert.Equal(["a", "b"], rotation.Next(held, 2));

        held.Add("d");
        Assert.Equal(["c"], rotation.Next(held, 2));
        Assert.Equal(["a", "b"], rotation.Next(held, 2));
        Assert.Equal(["c", "d"], rotation.Next(held, 2));
    }

    [Fact]
    public void With_fewer_records_than_a_batch_every_pass_reads_them_all()
    {
        var rotation = new ReconcileRotation();
        string[] held = ["a", "b"];
        Assert.Equal(held, rotation.Next(held, 500));
        Assert.Equal(held, rotation.Next(held, 500));
        Assert.Empty(rotation.Next([], 500));
    }
}
