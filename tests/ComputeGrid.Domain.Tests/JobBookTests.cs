using Sheet = ComputeGrid.Domain.Tests.TestJobSheet;
using ComputeGrid.Domain.Accounting;
using ComputeGrid.Domain.Jobs;
using ComputeGrid.Domain.Placement;
using ComputeGrid.Domain.Topology;

namespace ComputeGrid.Domain.Tests;

public class JobBookTests
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 7, 0, 0, 0, TimeSpan.Zero);
    private static readonly EnergyProfile Energy = new(1.2, 0.5, 0.4, 0.4);
    private static readonly JobSpec Spec = Shipped.ValidJob with { AllowedHubs = ["yangtze", "gansu"], InputDataGiB = 10 };

    /// <summary>Where a job is brought before the call under test.</summary>
    public enum Stage
    {
        Unknown,
        Queued,
        Scheduled,
        Running,
        Preempted,
        Succeeded,
        CancelledWhileQueued,
        CancelledWhileRunning,
    }

    private static JobPlacement At(string dataCenterId, string hubId = "gansu") => new(dataCenterId, hubId, $"greenest: {dataCenterId}", 12, Footprint.Zero, Energy);

    private static JobBook Book(Sheet sheet) => new("job-1", sheet, Shipped.Topology.Power, Shipped.Topology.TransferCnyPerGiB);

    private static (JobBook Book, Sheet Sheet) Job(Stage stage)
    {
        var sheet = new Sheet();
        var book = Book(sheet);
        if (stage == Stage.Unknown)
        {
            return (book, sheet);
        }

        book.Accept(Spec, null, null, T0);
        if (stage is Stage.CancelledWhileQueued)
        {
            book.Cancel("by client", T0.AddMinutes(1));
        }

        if (stage is Stage.Queued or Stage.CancelledWhileQueued)
        {
            return (book, sheet);
        }

        book.Assign(At("qingyang"), T0.AddMinutes(1));
        if (stage != Stage.Scheduled)
        {
            book.Run("qingyang", T0.AddMinutes(2));
        }

        _ = stage switch
        {
            Stage.Preempted => book.Preempt("qingyang", "the loan was recalled", T0.AddMinutes(32)),
            Stage.Succeeded => book.Finish("qingyang", true, "exit 0", T0.AddMinutes(62)),
            Stage.CancelledWhileRunning => book.Cancel("by client", T0.AddMinutes(62)),
            _ => null,
        };
        return (book, sheet);
    }

    private static string States(IEnumerable<JobStep> steps) => string.Join(" ", steps.Select(s => s.State));

    public static TheoryData<Stage, JobSpec, SubmitVerdict> Submissions => new()
    {
        { Stage.Unknown, Spec, SubmitVerdict.Place },
        { Stage.Unknown, Spec with { Tenant = " " }, SubmitVerdict.Invalid },
        { Stage.Queued, Spec, SubmitVerdict.Known },
        { Stage.Queued, Spec with { AllowedHubs = ["gansu", "yangtze"] }, SubmitVerdict.Known },
        { Stage.Running, Spec, SubmitVerdict.Known },
        { Stage.Succeeded, Spec, SubmitVerdict.Known },
        { Stage.Queued, Spec with { Priority = 1 }, SubmitVerdict.Conflict },
        { Stage.Succeeded, Spec with { InputDataGiB = 11 }, SubmitVerdict.Conflict },
    };

    [Theory]
    [MemberData(nameof(Submissions))]
    public void A_resubmission_of_the_same_job_answers_what_it_is_and_another_job_under_its_id_is_a_conflict(Stage stage, JobSpec spec, SubmitVerdict verdict)
    {
        var (book, sheet) = Job(stage);
        var steps = sheet.Steps;

        var submission = book.Submit(spec);

        Assert.Equal(verdict, submission.Verdict);
        Assert.Equal(verdict is SubmitVerdict.Conflict or SubmitVerdict.Invalid, submission.Errors.Count > 0);
        Assert.Equal(steps, sheet.Steps);
        if (verdict == SubmitVerdict.Conflict)
        {
            Assert.Equal(new ValidationError("jobId", "job 'job-1' already exists with a different specification"), Assert.Single(submission.Errors));
        }
    }

    [Fact]
    public void A_job_whose_acceptance_never_got_past_Pending_is_placed_again_on_resubmission()
    {
        var sheet = new Sheet { Spec = Spec, State = JobState.Pending, SubmittedAt = T0 };

        Assert.Equal(SubmitVerdict.Place, Book(sheet).Submit(Spec).Verdict);
        Assert.Equal("Pending Scheduled", States(Book(sheet).Accept(Spec, At("qingyang"), null, T0.AddSeconds(1))));
        Assert.Equal(T0, sheet.SubmittedAt);
    }

    public static TheoryData<bool, string?, string, string> Acceptances => new()
    {
        { true, null, "Pending Scheduled", "greenest: qingyang" },
        { false, "every data center is full", "Pending Queued", "every data center is full" },
        { false, null, "Pending Queued", "no feasible data center has room now; waiting in yangtze's queue" },
    };

    [Theory]
    [MemberData(nameof(Acceptances))]
    public void A_submission_is_accepted_and_placed_or_queued_in_one_write(bool placed, string? queuedDetail, string states, string detail)
    {
        var (book, sheet) = Job(Stage.Unknown);

        var steps = book.Accept(Spec, placed ? At("qingyang") : null, queuedDetail, T0);

        Assert.Equal(states, States(steps));
        Assert.Equal(detail, steps[^1].Detail);
        Assert.Equal(("accepted from yangtze for tenant acme", (JobState?)null), (steps[0].Detail, steps[0].From));
        Assert.Equal([1L, 2L], steps.Select(s => s.Sequence));
        Assert.Equal(placed ? TimeSpan.Zero : (TimeSpan?)null, steps[^1].FirstPlacedAfter);
        Assert.Equal(T0, sheet.SubmittedAt);
    }

    public static TheoryData<Stage, string, bool, string> Assignments => new()
    {
        { Stage.Queued, "zhongwei", true, "Scheduled" },
        { Stage.Preempted, "zhongwei", true, "Scheduled" },
        { Stage.Scheduled, "qingyang", true, string.Empty },
        { Stage.Running, "qingyang", true, string.Empty },
        { Stage.Scheduled, "zhongwei", false, string.Empty },
        { Stage.Succeeded, "qingyang", false, string.Empty },
        { Stage.CancelledWhileQueued, "zhongwei", false, string.Empty },
        { Stage.Unknown, "zhongwei", false, string.Empty },
    };

    [Theory]
    [MemberData(nameof(Assignments))]
    public void A_waiting_job_takes_an_assignment_and_a_placed_one_holds_only_its_own(Stage stage, string dataCenterId, bool holds, string states)
    {
        var (book, _) = Job(stage);

        var assignment = book.Assign(At(dataCenterId), T0.AddMinutes(90));

        Assert.Equal(holds, assignment.Holds);
        Assert.Equal(states, States(assignment.Steps));
    }

    [Fact]
    public void A_job_placed_by_its_region_after_a_crash_cut_its_submission_short_records_its_acceptance_first()
    {
        var sheet = new Sheet { Spec = Spec, State = JobState.Pending, SubmittedAt = T0 };

        var assignment = Book(sheet).Assign(At("qingyang"), T0.AddMinutes(1));

        Assert.Equal("Pending Scheduled", States(assignment.Steps));
        Assert.Equal(TimeSpan.FromMinutes(1), assignment.Steps[^1].FirstPlacedAfter);
    }

    [Theory]
    [InlineData(Stage.Unknown, "qingyang", true, "Pending Scheduled")]
    [InlineData(Stage.Scheduled, "qingyang", true, "")]
    [InlineData(Stage.Scheduled, "zhongwei", false, "")]
    [InlineData(Stage.Running, "qingyang", true, "")]
    [InlineData(Stage.Succeeded, "qingyang", false, "")]
    public void A_gang_member_is_accepted_at_its_gangs_placement_once_and_a_repeat_holds_only_where_it_still_holds_capacity(Stage stage, string dataCenterId, bool holds, string steps)
    {
        var (book, _) = Job(stage);

        var start = book.StartMember(Spec, At(dataCenterId), T0.AddMinutes(30));

        Assert.Equal(holds, start.Holds);
        Assert.Equal(steps, States(start.Steps));
    }

    [Fact]
    public void Only_the_first_placement_counts_as_the_wait_for_placement()
    {
        var (book, _) = Job(Stage.Preempted);

        var again = book.Assign(At("zhongwei"), T0.AddMinutes(40));

        Assert.Null(Assert.Single(again.Steps).FirstPlacedAfter);
    }

    public static TheoryData<Stage, string, bool> Starts => new()
    {
        { Stage.Scheduled, "qingyang", true },
        { Stage.Scheduled, "zhongwei", false },
        { Stage.Running, "qingyang", false },
        { Stage.Queued, "qingyang", false },
        { Stage.Succeeded, "qingyang", false },
    };

    [Theory]
    [MemberData(nameof(Starts))]
    public void A_job_runs_once_and_only_where_it_is_scheduled(Stage stage, string dataCenterId, bool runs)
    {
        var (book, sheet) = Job(stage);
        var started = sheet.StartedAt;

        var running = book.Run(dataCenterId, T0.AddMinutes(3));

        Assert.Equal(runs, running is { State: JobState.Running, From: JobState.Scheduled });
        Assert.Equal(runs ? T0.AddMinutes(3) : started, sheet.StartedAt);
    }

    [Fact]
    public void A_finished_job_books_its_run_with_the_input_transfer_to_another_hub_and_releases_its_capacity_once_durable()
    {
        var (book, sheet) = Job(Stage.Running);

        var ended = book.Finish("qingyang", true, "exit 0", T0.AddMinutes(62))!;

        var run = FootprintCalculator.Of(Spec.Resources, TimeSpan.FromHours(1), Energy, Shipped.Topology.Power, 10, Shipped.Topology.TransferCnyPerGiB);
        Assert.Equal("Succeeded", States(ended.Steps));
        Assert.Equal(run, sheet.LastRun);
        Assert.Equal(run, sheet.Actual);
        Assert.Equal(T0.AddMinutes(62), sheet.FinishedAt);
        Assert.Equal(new JobRelease("qingyang", "job-1", run, TimeSpan.FromHours(1), At("qingyang"), T0.AddMinutes(2), T0.AddMinutes(62), ToRegion: true), ended.Release);
        Assert.False(ended.Dequeue);
    }

    [Fact]
    public void A_job_at_home_pays_no_transfer()
    {
        var sheet = new Sheet();
        var book = Book(sheet);
        book.Accept(Spec, At("yangtze-dc", "yangtze"), null, T0);
        book.Run("yangtze-dc", T0);

        book.Finish("yangtze-dc", true, "exit 0", T0.AddHours(1));

        Assert.Equal(FootprintCalculator.Of(Spec.Resources, TimeSpan.FromHours(1), Energy, Shipped.Topology.Power), sheet.LastRun);
    }

    [Fact]
    public void A_job_that_ends_while_still_Scheduled_evidently_ran_and_records_Running_before_its_end_in_one_write()
    {
        var (book, _) = Job(Stage.Scheduled);

        var ended = book.Finish("qingyang", false, "exit 1", T0.AddMinutes(5))!;

        Assert.Equal("Running Failed", States(ended.Steps));
    }

    [Theory]
    [InlineData(Stage.Running, "zhongwei")]
    [InlineData(Stage.Queued, "qingyang")]
    [InlineData(Stage.Succeeded, "qingyang")]
    [InlineData(Stage.CancelledWhileRunning, "qingyang")]
    public void An_end_reported_by_a_data_center_the_job_does_not_hold_changes_nothing(Stage stage, string dataCenterId)
    {
        var (book, sheet) = Job(stage);
        var steps = sheet.Steps;

        Assert.Null(book.Finish(dataCenterId, true, "exit 0", T0.AddHours(2)));
        Assert.Equal(steps, sheet.Steps);
    }

    public static TheoryData<Stage, bool, string?, bool> Cancels => new()
    {
        { Stage.Queued, true, null, true },
        { Stage.Running, true, "qingyang", false },
        { Stage.Scheduled, true, "qingyang", false },
        { Stage.Preempted, true, null, true },
        { Stage.Succeeded, false, null, false },
        { Stage.CancelledWhileQueued, false, null, false },
    };

    [Theory]
    [MemberData(nameof(Cancels))]
    public void A_cancel_releases_a_placed_job_and_dequeues_a_waiting_one_and_leaves_an_ended_job_alone(Stage stage, bool cancels, string? releasedAt, bool dequeues)
    {
        var (book, sheet) = Job(stage);

        var cancel = book.Cancel("by client", T0.AddMinutes(70))!;

        Assert.Equal(cancels ? "Cancelled" : string.Empty, States(cancel.Steps));
        Assert.Equal(releasedAt, cancel.Release?.DataCenterId);
        Assert.Equal(dequeues, cancel.Dequeue);
        Assert.Equal(cancels ? "cancelled: by client" : null, cancel.Steps.SingleOrDefault()?.Detail);
        Assert.True(sheet.State.IsTerminal());
    }

    [Fact]
    public void An_unknown_job_cannot_be_cancelled()
    {
        Assert.Null(Job(Stage.Unknown).Book.Cancel("by client", T0));
    }

    [Theory]
    [InlineData("", "cancelled")]
    [InlineData("  ", "cancelled")]
    [InlineData("cancelled by client", "cancelled by client")]
    [InlineData("Cancel requested by ops", "Cancel requested by ops")]
    [InlineData("the tenant's budget ran out", "cancelled: the tenant's budget ran out")]
    public void A_cancel_says_it_is_a_cancel_once(string reason, string detail)
    {
        Assert.Equal(detail, JobBook.CancelDetail(reason));
    }

    [Fact]
    public void A_preempted_job_books_its_run_so_far_gives_up_its_placement_and_releases_it_under_its_own_booking_id()
    {
        var (book, sheet) = Job(Stage.Running);

        var preempted = book.Preempt("qingyang", "the loan was recalled", T0.AddMinutes(32))!;

        var used = FootprintCalculator.Of(Spec.Resources, TimeSpan.FromMinutes(30), Energy, Shipped.Topology.Power, 10, Shipped.Topology.TransferCnyPerGiB);
        Assert.Equal("Preempted", States(preempted.Steps));
        Assert.Equal("preempted in qingyang: the loan was recalled", preempted.Steps[0].Detail);
        Assert.Null(sheet.Placement);
        Assert.Null(sheet.StartedAt);
        Assert.Equal(used, sheet.Actual);
        Assert.Equal(new JobRelease("qingyang", "job-1#5", used, TimeSpan.FromMinutes(30), At("qingyang"), T0.AddMinutes(2), T0.AddMinutes(32), ToRegion: false), preempted.Release);
    }

    [Theory]
    [InlineData(Stage.Running, "zhongwei")]
    [InlineData(Stage.Queued, "qingyang")]
    [InlineData(Stage.Preempted, "qingyang")]
    [InlineData(Stage.Succeeded, "qingyang")]
    public void Only_a_job_holding_capacity_at_the_data_center_is_preempted(Stage stage, string dataCenterId)
    {
        Assert.Null(Job(stage).Book.Preempt(dataCenterId, "lost", T0.AddHours(2)));
    }

    [Fact]
    public void A_preempted_job_its_region_cannot_place_again_waits_in_the_queue_with_the_regions_reason()
    {
        var (book, _) = Job(Stage.Preempted);

        var queued = book.QueueAfterPreemption("every data center is full", T0.AddMinutes(33));

        Assert.Equal("waiting in yangtze's queue after preemption: every data center is full", Assert.Single(queued).Detail);
        Assert.True(book.RestsWhileQueued);
    }

    public static TheoryData<Stage, JobDriveAction, string?> Drives => new()
    {
        { Stage.Unknown, JobDriveAction.None, null },
        { Stage.Queued, JobDriveAction.Place, null },
        { Stage.Scheduled, JobDriveAction.Start, null },
        { Stage.Running, JobDriveAction.Start, null },
        { Stage.Preempted, JobDriveAction.Requeue, null },
        { Stage.Succeeded, JobDriveAction.Exit, "qingyang" },
        { Stage.CancelledWhileRunning, JobDriveAction.Exit, "qingyang" },
        { Stage.CancelledWhileQueued, JobDriveAction.None, null },
    };

    [Theory]
    [MemberData(nameof(Drives))]
    public void Reconciliation_drives_an_ended_job_to_repeat_its_exit_a_placed_one_to_start_and_a_waiting_one_to_be_placed(Stage stage, JobDriveAction action, string? exitAt)
    {
        var drive = Job(stage).Book.Drive(T0.AddHours(3));

        Assert.Equal(action, drive.Action);
        Assert.Equal(exitAt, drive.Release?.DataCenterId);
    }

    [Fact]
    public void A_repeated_exit_books_the_same_run()
    {
        var (book, _) = Job(Stage.Succeeded);
        var first = book.Drive(T0.AddHours(3)).Release;

        Assert.Equal(first, book.Drive(T0.AddHours(9)).Release);
        Assert.Equal(TimeSpan.FromHours(1), first!.RanFor);
    }

    [Fact]
    public void A_job_driven_on_by_reconciliation_that_its_region_queued_records_its_acceptance_then_Queued()
    {
        var sheet = new Sheet { Spec = Spec, State = JobState.Pending, SubmittedAt = T0 };

        var queued = Book(sheet).QueueDrivenOn(T0.AddMinutes(1));

        Assert.Equal("Pending Queued", States(queued));
        Assert.Equal("waiting in yangtze's queue (driven on by reconciliation)", queued[^1].Detail);
        Assert.Empty(Book(sheet).QueueDrivenOn(T0.AddMinutes(2)));
    }

    [Theory]
    [InlineData("qingyang", true, false, true)]
    [InlineData("zhongwei", true, false, false)]
    [InlineData("qingyang", false, false, false)]
    [InlineData("qingyang", true, true, false)]
    public void A_cancelled_job_keeps_the_outcome_its_agent_reports_from_where_it_was_cancelled_once(string dataCenterId, bool reported, bool known, bool keeps)
    {
        var (book, sheet) = Job(Stage.CancelledWhileRunning);
        sheet.HasOutcome = known;

        Assert.Equal(keeps, book.KeepsOutcome(dataCenterId, reported));
    }

    [Fact]
    public void A_job_still_running_keeps_no_outcome_as_a_cancelled_one()
    {
        Assert.False(Job(Stage.Running).Book.KeepsOutcome("qingyang", true));
    }

    [Fact]
    public void A_job_runs_again_when_lost_only_if_its_command_allows_it()
    {
        Assert.False(Job(Stage.Running).Book.RequeuesWhenLost);
        var sheet = new Sheet { Spec = Spec with { Command = new JobCommand("/bin/true", [], new Dictionary<string, string>(), RequeueIfLost: true) } };
        Assert.True(Book(sheet).RequeuesWhenLost);
        sheet.Spec = Spec with { Command = new JobCommand("/bin/true", [], new Dictionary<string, string>(), RequeueIfLost: false) };
        Assert.False(Book(sheet).RequeuesWhenLost);
    }

    /// <summary>Each transition, called a second time with the same arguments: the retry must record no step.</summary>
    public static TheoryData<string, Stage> Retries => new()
    {
        { "assign", Stage.Queued },
        { "run", Stage.Scheduled },
        { "finish", Stage.Running },
        { "cancel", Stage.Running },
        { "preempt", Stage.Running },
        { "queue after preemption", Stage.Preempted },
        { "queue driven on", Stage.Preempted },
    };

    [Theory]
    [MemberData(nameof(Retries))]
    public void A_retried_transition_records_no_step(string transition, Stage stage)
    {
        var (book, sheet) = Job(stage);
        Func<IReadOnlyList<JobStep>> call = transition switch
        {
            "assign" => () => book.Assign(At("zhongwei"), T0.AddHours(1)).Steps,
            "run" => () => book.Run("qingyang", T0.AddHours(1)) is { } s ? [s] : [],
            "finish" => () => book.Finish("qingyang", true, "exit 0", T0.AddHours(1))?.Steps ?? [],
            "cancel" => () => book.Cancel("by client", T0.AddHours(1))!.Steps,
            "preempt" => () => book.Preempt("qingyang", "lost", T0.AddHours(1))?.Steps ?? [],
            "queue after preemption" => () => book.QueueAfterPreemption(null, T0.AddHours(1)),
            _ => () => book.QueueDrivenOn(T0.AddHours(1)),
        };

        Assert.NotEmpty(call());
        var (state, steps, placement) = (sheet.State, sheet.Steps, sheet.Placement);

        Assert.Empty(call());
        Assert.Equal((state, steps, placement), (sheet.State, sheet.Steps, sheet.Placement));
    }

    [Fact]
    public void Every_step_follows_from_the_state_before_it_in_sequence()
    {
        var (book, sheet) = Job(Stage.Preempted);
        book.QueueAfterPreemption(null, T0.AddMinutes(33));
        book.Assign(At("zhongwei"), T0.AddMinutes(40));
        book.Finish("zhongwei", true, "exit 0", T0.AddMinutes(50));

        Assert.Equal("Pending Queued Scheduled Running Preempted Queued Scheduled Running Succeeded", States(sheet.History));
        Assert.Equal(Enumerable.Range(1, sheet.Steps).Select(i => (long)i), sheet.History.Select(s => s.Sequence));
        Assert.All(sheet.History.Skip(1).Zip(sheet.History), pair => Assert.Equal(pair.Second.State, pair.First.From));
    }

    [Theory]
    [InlineData(Stage.Unknown, "qingyang", false, true)]
    [InlineData(Stage.Queued, "qingyang", false, true)]
    [InlineData(Stage.Scheduled, "qingyang", false, false)]
    [InlineData(Stage.Scheduled, "zhongwei", false, true)]
    [InlineData(Stage.Running, "qingyang", false, false)]
    [InlineData(Stage.Succeeded, "qingyang", false, true)]
    [InlineData(Stage.Unknown, "qingyang", true, false)]
    public void A_job_disowns_a_data_center_only_when_it_holds_nothing_there_and_its_memory_is_not_ahead_of_storage(Stage stage, string dataCenterId, bool unwritten, bool disowns)
    {
        var (book, _) = Job(stage);

        Assert.Equal(disowns, book.MayDisown(dataCenterId, unwritten));
    }
}
