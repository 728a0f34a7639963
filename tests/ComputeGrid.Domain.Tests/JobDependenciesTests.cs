using Sheet = ComputeGrid.Domain.Tests.TestJobSheet;
using ComputeGrid.Domain.Accounting;
using ComputeGrid.Domain.Jobs;
using ComputeGrid.Domain.Placement;

namespace ComputeGrid.Domain.Tests;

public class JobDependenciesTests
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 7, 0, 0, 0, TimeSpan.Zero);

    private static DependencyStatus Job(JobState state, bool ran = false) => DependencyStatus.OfJob(state, ran);

    public static TheoryData<DependencyCondition, JobState, bool, DependencyVerdict> JobVerdicts => new()
    {
        // afterok: only success holds; any other end never will.
        { DependencyCondition.AfterOk, JobState.Blocked, false, DependencyVerdict.Waiting },
        { DependencyCondition.AfterOk, JobState.Queued, false, DependencyVerdict.Waiting },
        { DependencyCondition.AfterOk, JobState.Running, true, DependencyVerdict.Waiting },
        { DependencyCondition.AfterOk, JobState.Preempted, true, DependencyVerdict.Waiting },
        { DependencyCondition.AfterOk, JobState.Succeeded, true, DependencyVerdict.Met },
        { DependencyCondition.AfterOk, JobState.Failed, true, DependencyVerdict.Never },
        { DependencyCondition.AfterOk, JobState.Cancelled, false, DependencyVerdict.Never },
        { DependencyCondition.AfterOk, JobState.Unsatisfiable, false, DependencyVerdict.Never },

        // afterany: any end holds.
        { DependencyCondition.AfterAny, JobState.Running, true, DependencyVerdict.Waiting },
        { DependencyCondition.AfterAny, JobState.Succeeded, true, DependencyVerdict.Met },
        { DependencyCondition.AfterAny, JobState.Failed, true, DependencyVerdict.Met },
        { DependencyCondition.AfterAny, JobState.Cancelled, false, DependencyVerdict.Met },
        { DependencyCondition.AfterAny, JobState.Unsatisfiable, false, DependencyVerdict.Met },

        // afternotok: an end without success holds; success never will.
        { DependencyCondition.AfterNotOk, JobState.Scheduled, false, DependencyVerdict.Waiting },
        { DependencyCondition.AfterNotOk, JobState.Failed, true, DependencyVerdict.Met },
        { DependencyCondition.AfterNotOk, JobState.Cancelled, false, DependencyVerdict.Met },
        { DependencyCondition.AfterNotOk, JobState.Unsatisfiable, false, DependencyVerdict.Met },
        { DependencyCondition.AfterNotOk, JobState.Succeeded, true, DependencyVerdict.Never },

        // after: started, or ended without starting (Slurm: begun execution or been cancelled).
        { DependencyCondition.After, JobState.Pending, false, DependencyVerdict.Waiting },
        { DependencyCondition.After, JobState.Scheduled, false, DependencyVerdict.Waiting },
        { DependencyCondition.After, JobState.Running, true, DependencyVerdict.Met },
        { DependencyCondition.After, JobState.Preempted, true, DependencyVerdict.Met },
        { DependencyCondition.After, JobState.Cancelled, false, DependencyVerdict.Met },
    };

    [Theory]
    [MemberData(nameof(JobVerdicts))]
    public void Each_condition_on_a_job_holds_waits_or_never_holds_as_Slurms_does(DependencyCondition condition, JobState state, bool ran, DependencyVerdict verdict) =>
        Assert.Equal(verdict, JobDependencies.Evaluate(condition, Job(state, ran)));

    public static TheoryData<DependencyCondition, int, int, int, DependencyVerdict> ArrayVerdicts => new()
    {
        // (running, succeeded, failed) of an array of 4.
        { DependencyCondition.AfterOk, 0, 3, 0, DependencyVerdict.Waiting },
        { DependencyCondition.AfterOk, 0, 4, 0, DependencyVerdict.Met },
        { DependencyCondition.AfterOk, 2, 1, 1, DependencyVerdict.Never },
        { DependencyCondition.AfterAny, 1, 2, 1, DependencyVerdict.Waiting },
        { DependencyCondition.AfterAny, 0, 3, 1, DependencyVerdict.Met },
        { DependencyCondition.AfterNotOk, 1, 2, 1, DependencyVerdict.Waiting },
        { DependencyCondition.AfterNotOk, 0, 3, 1, DependencyVerdict.Met },
        { DependencyCondition.AfterNotOk, 0, 4, 0, DependencyVerdict.Never },
        { DependencyCondition.After, 3, 0, 0, DependencyVerdict.Waiting },
        { DependencyCondition.After, 3, 1, 0, DependencyVerdict.Met },
    };

    [Theory]
    [MemberData(nameof(ArrayVerdicts))]
    public void A_condition_on_a_whole_array_holds_over_every_element(DependencyCondition condition, int running, int succeeded, int failed, DependencyVerdict verdict)
    {
        var counts = new Dictionary<JobState, int>
        {
            [JobState.Queued] = 4 - running - succeeded - failed,
            [JobState.Running] = running,
            [JobState.Succeeded] = succeeded,
            [JobState.Failed] = failed,
        };

        Assert.Equal(verdict, JobDependencies.Evaluate(condition, DependencyStatus.OfArray(4, counts)));
    }

    [Fact]
    public void A_job_is_met_only_when_every_dependency_is_and_never_as_soon_as_one_never_can_be()
    {
        List<JobDependency> deps = [new(DependencyCondition.AfterOk, "a"), new(DependencyCondition.AfterAny, "b"), new(DependencyCondition.AfterOk, "c", DependencyTarget.Array)];
        var array = DependencyStatus.OfArray(2, new Dictionary<JobState, int> { [JobState.Succeeded] = 2 });

        var waiting = JobDependencies.Decide(deps, [Job(JobState.Succeeded, true), Job(JobState.Running, true), array]);
        Assert.Equal(DependencyVerdict.Waiting, waiting.Verdict);
        Assert.Equal("waiting for afterany:b", waiting.Reason);

        var met = JobDependencies.Decide(deps, [Job(JobState.Succeeded, true), Job(JobState.Failed, true), array]);
        Assert.Equal(DependencyVerdict.Met, met.Verdict);
        Assert.Equal("all 3 dependencies met", met.Reason);

        var never = JobDependencies.Decide(deps, [Job(JobState.Cancelled), Job(JobState.Running, true), array]);
        Assert.Equal(DependencyVerdict.Never, never.Verdict);
        Assert.Equal("dependency afterok:a can never be met: job a ended without succeeding", never.Reason);

        var gone = JobDependencies.Decide(deps, [Job(JobState.Succeeded, true), null, array]);
        Assert.Equal(DependencyVerdict.Never, gone.Verdict);
        Assert.Contains("job b is unknown", gone.Reason, StringComparison.Ordinal);
    }

    public static TheoryData<string, string> Parsed => new()
    {
        { "afterok:a", "afterok:a" },
        { "afterok:a:b,afterany:array:shards", "afterok:a afterok:b afterany:array:shards" },
        { "AfterNotOk:x , after:y", "afternotok:x after:y" },
        { "afterok:prep:array:nightly:post", "afterok:prep afterok:array:nightly afterok:post" },
    };

    [Theory]
    [MemberData(nameof(Parsed))]
    public void Slurms_dependency_syntax_parses_into_conditions_on_jobs_and_arrays(string text, string expected)
    {
        Assert.True(JobDependencies.TryParse(text, out var deps, out var error), error);
        Assert.Equal(expected, string.Join(" ", deps));
    }

    [Theory]
    [InlineData("", "is empty")]
    [InlineData("afterok:a?afterany:b", "'?'")]
    [InlineData("afterburn:a", "unknown condition 'afterburn'")]
    [InlineData("afterok", "names no job")]
    [InlineData("afterok:array", "names no array id")]
    [InlineData("afterok:a b", "is not a job id")]
    public void Malformed_dependency_text_is_refused_saying_what_is_wrong(string text, string says)
    {
        Assert.False(JobDependencies.TryParse(text, out _, out var error));
        Assert.Contains(says, error, StringComparison.Ordinal);
    }

    public static TheoryData<JobDependency[], string?> Shapes => new()
    {
        { [new(DependencyCondition.AfterOk, "a")], null },
        { [new(DependencyCondition.AfterOk, "me")], "dependsOn[0].jobId: a job cannot depend on itself (a dependency cycle)" },
        { [new(DependencyCondition.AfterOk, "a"), new(DependencyCondition.AfterAny, "a")], "dependsOn[1].jobId: 'a' is named twice; give it one condition" },
        { [new(DependencyCondition.AfterOk, "me", DependencyTarget.Array)], null },
        { [new(DependencyCondition.AfterOk, "")], "dependsOn[0]: must name exactly one target: a jobId or an arrayId" },
        { [new(DependencyCondition.AfterOk, "a/b")], "dependsOn[0].jobId: must be 1-128 characters of letters, digits, '.', '_' and '-' (was 'a/b')" },
        { [new((DependencyCondition)9, "a")], "dependsOn[0].condition: must be AfterOk, AfterAny, AfterNotOk or After" },
        { [.. Enumerable.Range(0, 65).Select(i => new JobDependency(DependencyCondition.AfterOk, $"j{i}"))], "dependsOn: must have at most 64 dependencies (had 65)" },
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void A_submissions_dependencies_are_checked_for_count_ids_repeats_and_naming_itself(JobDependency[] deps, string? error)
    {
        var errors = JobDependencies.Validate(deps, "me");
        Assert.Equal(error, errors.Count == 0 ? null : Assert.Single(errors).ToString());
    }

    [Fact]
    public void A_job_spec_with_dependencies_is_a_different_job_from_one_without_and_the_same_with_the_same_ones()
    {
        var with = Shipped.ValidJob with { DependsOn = [new(DependencyCondition.AfterOk, "a")] };
        Assert.False(JobSpecs.AreSame(Shipped.ValidJob, with));
        Assert.True(JobSpecs.AreSame(with, Shipped.ValidJob with { DependsOn = [new(DependencyCondition.AfterOk, "a")] }));
        Assert.True(JobSpecs.AreSame(Shipped.ValidJob, Shipped.ValidJob with { DependsOn = [] }));
    }

    [Fact]
    public void An_array_may_depend_on_other_jobs_and_arrays_but_not_on_itself_or_its_own_elements()
    {
        static IEnumerable<string> Errors(params JobDependency[] deps) =>
            JobArrays.JobArrayRules.ValidateSubmission(Shipped.ValidJob with { DependsOn = deps }, 10, "nightly").Select(e => e.ToString());

        Assert.Empty(Errors(new JobDependency(DependencyCondition.AfterOk, "prep"), new JobDependency(DependencyCondition.AfterAny, "shards", DependencyTarget.Array)));
        Assert.Equal(["template.dependsOn[0].arrayId: an array cannot depend on itself or its own elements (a dependency cycle)"], Errors(new JobDependency(DependencyCondition.AfterOk, "nightly", DependencyTarget.Array)));
        Assert.Equal(["template.dependsOn[1].jobId: an array cannot depend on itself or its own elements (a dependency cycle)"], Errors(new JobDependency(DependencyCondition.AfterOk, "prep"), new JobDependency(DependencyCondition.AfterOk, "nightly-3")));
    }

    [Fact]
    public void An_unknown_target_is_named_with_the_full_rest_id_as_a_hint_when_the_tenant_prefix_is_missing()
    {
        Assert.Equal("no job of tenant acme has id 'nu-A' (over REST a job's id is its tenant, a dot and its Idempotency-Key: 'acme.nu-A'); a job may depend only on jobs and arrays submitted before it", JobDependencies.Unknown(new(DependencyCondition.AfterOk, "nu-A"), "acme"));
        Assert.Equal("no job array of tenant acme has id 'acme.x'; a job may depend only on jobs and arrays submitted before it", JobDependencies.Unknown(new(DependencyCondition.AfterOk, "acme.x", DependencyTarget.Array), "acme"));
    }

    private static (JobBook Book, Sheet Sheet) Blocked()
    {
        var sheet = new Sheet();
        var book = new JobBook("job-1", sheet, Shipped.Topology.Power, Shipped.Topology.TransferCnyPerGiB);
        var steps = book.Block(Shipped.ValidJob, "waiting for afterok:a", T0);
        Assert.Equal([JobState.Pending, JobState.Blocked], steps.Select(s => s.State));
        return (book, sheet);
    }

    [Fact]
    public void A_blocked_job_is_accepted_and_blocked_in_one_write_and_a_retry_records_nothing()
    {
        var (book, sheet) = Blocked();
        Assert.True(book.IsBlocked);
        Assert.Equal("waiting for afterok:a", sheet.History[^1].Detail);
        Assert.Empty(book.Block(Shipped.ValidJob, "waiting for afterok:a", T0.AddMinutes(1)));
        Assert.Equal(SubmitVerdict.Known, book.Submit(Shipped.ValidJob).Verdict);
        Assert.Equal(2, sheet.Steps);
    }

    [Fact]
    public void A_blocked_job_leaves_by_placement_queue_cancel_or_unsatisfiable_and_reconciliation_reads_its_dependencies_again()
    {
        var (book, _) = Blocked();
        Assert.Equal(JobDriveAction.Unblock, book.Drive(T0).Action);

        var placed = book.Assign(new JobPlacement("qingyang", "gansu", "fastest", 12, Footprint.Zero, new(1.2, 0.5, 0.4, 0.4)), T0.AddMinutes(1));
        Assert.True(placed.Holds);
        Assert.Equal(JobState.Scheduled, Assert.Single(placed.Steps).State);

        var (queuedBook, queued) = Blocked();
        var step = Assert.Single(queuedBook.QueueUnblocked("dependency afterok:a met", "no room in gansu", T0.AddMinutes(1)));
        Assert.Equal(JobState.Queued, step.State);
        Assert.Equal("dependency afterok:a met; no room in gansu", step.Detail);
        Assert.Empty(queuedBook.QueueUnblocked("again", null, T0.AddMinutes(2)));

        var (cancelBook, _) = Blocked();
        var cancel = cancelBook.Cancel("by client", T0.AddMinutes(1))!;
        Assert.False(cancel.Dequeue);
        Assert.Null(cancel.Release);
        Assert.Equal(JobState.Cancelled, Assert.Single(cancel.Steps).State);

        var (neverBook, never) = Blocked();
        var ending = neverBook.Unsatisfiable(Shipped.ValidJob, "dependency afterok:a can never be met: job a ended without succeeding", T0.AddMinutes(1));
        Assert.Equal(JobState.Unsatisfiable, Assert.Single(ending.Steps).State);
        Assert.Null(ending.Release);
        Assert.True(never.State.IsTerminal());
        Assert.Equal(JobDriveAction.None, neverBook.Drive(T0.AddMinutes(2)).Action);
        Assert.Empty(neverBook.Unsatisfiable(Shipped.ValidJob, "again", T0.AddMinutes(3)).Steps);
    }

    [Fact]
    public void A_submission_whose_dependency_never_can_hold_is_accepted_and_ends_unsatisfiable_in_one_write()
    {
        var sheet = new Sheet();
        var book = new JobBook("job-1", sheet, Shipped.Topology.Power, Shipped.Topology.TransferCnyPerGiB);
        var ending = book.Unsatisfiable(Shipped.ValidJob, "dependency afterok:a can never be met: job a ended without succeeding", T0);
        Assert.Equal([JobState.Pending, JobState.Unsatisfiable], ending.Steps.Select(s => s.State));
        Assert.Equal(Footprint.Zero, sheet.LastRun);
    }
}
