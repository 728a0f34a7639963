using ComputeGrid.Contracts.JobArrays;
using ComputeGrid.Contracts.Jobs;
using ComputeGrid.Domain.JobArrays;
using ComputeGrid.Domain.Jobs;
using ComputeGrid.Grains.Jobs;
using Microsoft.Extensions.Logging;

namespace ComputeGrid.Grains.JobArrays;

/// <summary>
/// Dependencies both ways. Jobs (and arrays) that depend on this whole array are recorded with the array's next write
/// (durable before the registration answers) and nudged after a write that moved the array to a point a condition can
/// turn on (every element started, one ended without succeeding, every element ended). An array whose template has
/// dependencies registers with its targets first and then waits as a whole: no element is submitted (they count as
/// Blocked) until every dependency holds; when one never can, every element ends Unsatisfiable. A nudge lost in a crash
/// is repaired by the dependent's reminder (a job's own, an array's wake reminder).
/// </summary>
internal sealed partial class JobArrayGrain
{
    // The point of the last nudge: (every element started, one failed, every element ended).
    private (bool AllStarted, bool AnyFailed, bool AllEnded)? _nudgedAt;

    private string AsDependent => DependencyTargets.ArrayPrefix + ArrayId;

    public async Task<DependencyStatus?> DependOnAsync(string dependentId, string tenant, CancellationToken cancellationToken = default)
    {
        if (Record.Template is not { } template || template.Tenant != tenant || _book is not { } book)
        {
            return null;
        }

        if (!book.AllEnded && !Record.Dependents.Contains(dependentId))
        {
            Record.Dependents.Add(dependentId);
            _dirty = true;
            await Commit.CommitAsync();
        }

        return StatusForDependents();
    }

    public Task OnDependencyChangedAsync(string targetId) =>
        Record.WaitingFor is not null && !Record.Cancelled ? CheckDependenciesAsync() : Task.CompletedTask;

    /// <summary>
    /// A new array with dependencies, its record set up but not written: registers with its targets and decides. Null
    /// when every dependency holds (submitted as any array); else the answer (refused naming the target, or accepted
    /// waiting or with every element Unsatisfiable).
    /// </summary>
    private async Task<JobArraySubmitResult?> SubmitDependentAsync(JobSpec template, CancellationToken cancellationToken)
    {
        var statuses = await DependencyTargets.RegisterAsync(GrainFactory, template, AsDependent, cancellationToken);
        var unknown = DependencyTargets.Unknown(template, statuses, "template.dependsOn");
        if (unknown.Count > 0)
        {
            return JobArraySubmitResult.Refused(SubmitRefusal.Invalid, unknown);
        }

        var decision = JobDependencies.Decide(template.DependsOn!, statuses);
        switch (decision.Verdict)
        {
            case DependencyVerdict.Met:
                return null;
            case DependencyVerdict.Never:
                MarkUnsatisfiable(decision.Reason);
                break;
            default:
                Record.WaitingFor = decision.Reason;
                break;
        }

        _dirty = true;
        await Commit.CommitAsync();
        metrics.ArraySubmitted(template.OriginHub, Record.Count, ArrayId);
        await this.RegisterOrUpdateReminder(WakeReminder, options.Value.WakeReminderPeriod, options.Value.WakeReminderPeriod, cancellationToken);
        if (decision.Verdict == DependencyVerdict.Never)
        {
            LogArrayUnsatisfiable(logger, ArrayId, decision.Reason);
        }
        else
        {
            LogArrayBlocked(logger, ArrayId, decision.Reason);
        }

        return JobArraySubmitResult.Accepted(Snapshot());
    }

    /// <summary>Reads a waiting array's targets again: it starts submitting when all hold, ends Unsatisfiable when one never can, else waits on.</summary>
    private async Task CheckDependenciesAsync()
    {
        var template = Record.Template!;
        var decision = JobDependencies.Decide(template.DependsOn!, await DependencyTargets.RegisterAsync(GrainFactory, template, AsDependent, CancellationToken.None));
        if (decision.Verdict == DependencyVerdict.Waiting || Record.WaitingFor is null)
        {
            return;
        }

        Record.WaitingFor = null;
        if (decision.Verdict == DependencyVerdict.Never)
        {
            MarkUnsatisfiable(decision.Reason);
            _dirty = true;
            await Commit.CommitAsync();
            LogArrayUnsatisfiable(logger, ArrayId, decision.Reason);
            return;
        }

        _dirty = true;
        await Commit.CommitAsync();
        LogArrayUnblocked(logger, ArrayId, decision.Reason);

        // From here on as a new array that was just accepted: the timer places the elements in rounds.
        Open();
        EnsureTimer(TimeSpan.Zero);
    }

    private void MarkUnsatisfiable(string reason)
    {
        Record.Unsatisfiable = reason;
        var book = _book!;
        for (var i = 0; i < book.Count; i++)
        {
            Changed(book.Mark(i, ElementCode.Unsatisfied));
        }
    }

    private DependencyStatus StatusForDependents() => DependencyStatus.OfArray(Record.Count, _book!.Counts);

    /// <summary>The counts as callers see them: while the array waits, its unsubmitted elements are Blocked, not Pending.</summary>
    private IReadOnlyDictionary<JobState, int> VisibleCounts(ElementStates book)
    {
        var counts = book.Counts;
        if (Record.WaitingFor is null)
        {
            return counts;
        }

        var moved = counts.ToDictionary(c => c.Key, c => c.Value);
        moved[JobState.Blocked] += book.Unsubmitted;
        moved[JobState.Pending] -= book.Unsubmitted;
        return moved;
    }

    /// <summary>After a write: nudges the dependents when the array reached a new point since the last nudge.</summary>
    private void NudgeDependents()
    {
        if (Record.Dependents.Count == 0 || _book is null)
        {
            return;
        }

        var status = StatusForDependents();
        var at = (status.Started == status.Total, status.Ended > status.Succeeded, status.IsFinal);
        if (_nudgedAt == at)
        {
            return;
        }

        _nudgedAt = at;
        foreach (var dependent in Record.Dependents)
        {
            DependencyTargets.Nudge(GrainFactory, dependent, ArrayId);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Job array {ArrayId} accepted and waiting: {Reason}")]
    private static partial void LogArrayBlocked(ILogger logger, string arrayId, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Job array {ArrayId} submits its elements: {Reason}")]
    private static partial void LogArrayUnblocked(ILogger logger, string arrayId, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Job array {ArrayId}: every element is unsatisfiable: {Reason}")]
    private static partial void LogArrayUnsatisfiable(ILogger logger, string arrayId, string reason);
}
