using ComputeGrid.Contracts;
using ComputeGrid.Contracts.Jobs;
using ComputeGrid.Contracts.Regions;
using ComputeGrid.Domain.Jobs;
using Microsoft.Extensions.Logging;
using Orleans.Storage;

namespace ComputeGrid.Grains.Jobs;

/// <summary>
/// Dependencies (<see cref="JobDependencies"/> decides). A submission with dependencies first registers with each target
/// (durable there before it answers), so that every target nudges it when it starts or ends; then the job is accepted
/// Blocked (or placed at once when all are met, or ended Unsatisfiable when one never can be). A blocked job holds no
/// activation: a nudge or its reminder (the backstop for a nudge lost in a crash) activates it, it reads its targets
/// again, and it is placed through its region like any submission. Placing first and writing after is the submission's
/// own order: a crash in between leaves a placement the region answers again to the retry, or that reconciliation
/// releases.
/// </summary>
internal sealed partial class JobGrain : IRemindable
{
    private const string DependencyReminder = "dependencies";

    // This activation registered (or found) the dependency reminder.
    private bool _dependencyReminder;

    public async Task<DependencyStatus?> DependOnAsync(string dependentId, string tenant, CancellationToken cancellationToken = default)
    {
        await ActivateElementAsync();
        if (Record.Spec is null && await ConfirmAbsentAsync(cancellationToken) is not null)
        {
            // A duplicate activation that never read the job's record (a membership change): "no such job" would refuse
            // a dependent of an accepted job. ConfirmAbsentAsync let this activation go; the dependent's retry (the SDK
            // retries this exception) reaches the activation that holds the record.
            throw new InconsistentStateException($"job {JobId}: this activation holds no record while storage holds the job; call again");
        }

        if (Record.Spec is not { } spec || spec.Tenant != tenant || _durable is null)
        {
            return null;
        }

        if (!Record.State.IsTerminal() && !Record.Dependents.Contains(dependentId))
        {
            Record.Dependents.Add(dependentId);
            await PersistAsync(cancellationToken);
        }

        return StatusForDependents();
    }

    public Task OnDependencyChangedAsync(string targetId) =>
        Book.IsBlocked ? CheckDependenciesAsync() : Task.CompletedTask;

    public async Task ReceiveReminder(string reminderName, TickStatus status)
    {
        if (reminderName != DependencyReminder)
        {
            return;
        }

        _dependencyReminder = true;

        if (Book.IsBlocked)
        {
            await CheckDependenciesAsync();
        }
        else
        {
            await StopDependencyReminderAsync();
        }
    }

    /// <summary>
    /// A new submission with dependencies: registers with its targets and decides. Null when every dependency is met (the
    /// caller places it as any job); else the answer (accepted Blocked or Unsatisfiable, or refused naming the target).
    /// </summary>
    private async Task<SubmitResult?> SubmitDependentAsync(JobSpec spec, CancellationToken cancellationToken)
    {
        var self = JobDependencies.NamesItself(spec.DependsOn, JobId);
        if (self is not null)
        {
            return SubmitResult.Refused(SubmitRefusal.Invalid, [self]);
        }

        var statuses = await DependencyTargets.RegisterAsync(GrainFactory, spec, JobId, cancellationToken);
        var unknown = DependencyTargets.Unknown(spec, statuses, "dependsOn");
        if (unknown.Count > 0)
        {
            return SubmitResult.Refused(SubmitRefusal.Invalid, unknown);
        }

        var decision = JobDependencies.Decide(spec.DependsOn!, statuses);
        if (decision.Verdict == DependencyVerdict.Met)
        {
            return null;
        }

        if (decision.Verdict == DependencyVerdict.Never)
        {
            await EndAsync(Book.Unsatisfiable(spec, decision.Reason, clock.Now), cancellationToken);
            LogUnsatisfiable(logger, JobId, decision.Reason);
            return SubmitResult.Accepted(Snapshot());
        }

        // The reminder before the write: a blocked job without one could wait forever for a nudge a crash lost.
        _dependencyReminder = true;
        await this.RegisterOrUpdateReminder(DependencyReminder, options.Value.WakeReminderPeriod, options.Value.WakeReminderPeriod, cancellationToken);
        await CommitAsync(Book.Block(spec, decision.Reason, clock.Now), cancellationToken);
        LogBlocked(logger, JobId, decision.Reason);
        RestWhileWaiting();

        return SubmitResult.Accepted(Snapshot());
    }

    /// <summary>Reads a blocked job's targets again: placed when all are met, Unsatisfiable when one never can be, else it waits on.</summary>
    private async Task CheckDependenciesAsync()
    {
        var spec = Record.Spec!;
        var statuses = await DependencyTargets.RegisterAsync(GrainFactory, spec, JobId, CancellationToken.None);
        var decision = JobDependencies.Decide(spec.DependsOn!, statuses);
        switch (decision.Verdict)
        {
            case DependencyVerdict.Waiting:
                if (!_dependencyReminder)
                {
                    // A blocked array element taken over from its array has no reminder of its own yet.
                    _dependencyReminder = true;
                    await this.RegisterOrUpdateReminder(DependencyReminder, options.Value.WakeReminderPeriod, options.Value.WakeReminderPeriod, CancellationToken.None);
                }

                return;
            case DependencyVerdict.Never:
                await EndAsync(Book.Unsatisfiable(spec, decision.Reason, clock.Now), CancellationToken.None);
                LogUnsatisfiable(logger, JobId, decision.Reason);
                break;
            default:
                await UnblockAsync(spec, decision.Reason);
                break;
        }

        await StopDependencyReminderAsync();
    }

    private async Task UnblockAsync(JobSpec spec, string met)
    {
        _settling++;
        try
        {
            var placed = await GrainFactory.GetGrain<IRegionGrain>(spec.OriginHub).PlaceAsync(JobId, spec);
            LogUnblocked(logger, JobId, met, placed.Outcome);
            switch (placed.Outcome)
            {
                case PlaceOutcome.Placed:
                    // The Scheduled step's detail (the placement's reason) says why it waited no longer.
                    await AssignAsync(placed.Placement! with { Reason = $"{met}; {placed.Placement!.Reason}" });
                    break;
                case PlaceOutcome.Queued:
                    await CommitAsync(Book.QueueUnblocked(met, placed.Detail, clock.Now), CancellationToken.None);
                    RestWhileWaiting();
                    break;
                default:
                    // Accepted when submitted, refused now (the pool changed while it waited): it can never run as it is.
                    var why = string.Join("; ", placed.Errors.Select(e => e.ToString()));
                    await EndAsync(Book.Unsatisfiable(spec, $"{met}, but its region refused it: {why}", clock.Now), CancellationToken.None);
                    break;
            }
        }
        finally
        {
            _settling--;
        }
    }

    /// <summary>Nudges the jobs waiting for this one after a durable step that can decide a condition (a start or an end).</summary>
    private void NudgeDependents(IReadOnlyList<JobStep> steps)
    {
        if (Record.Dependents.Count == 0 || !steps.Any(s => s.State == JobState.Running || s.State.IsTerminal()))
        {
            return;
        }

        foreach (var dependent in Record.Dependents)
        {
            // One-way: a lost nudge is repaired by the dependent's reminder.
            DependencyTargets.Nudge(GrainFactory, dependent, JobId);
        }
    }

    private DependencyStatus StatusForDependents() =>
        DependencyStatus.OfJob(Record.State, Record.History.Exists(e => e.State == JobState.Running));

    private async Task StopDependencyReminderAsync()
    {
        if (await this.GetReminder(DependencyReminder, CancellationToken.None) is { } reminder)
        {
            await this.UnregisterReminder(reminder, CancellationToken.None);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Job {JobId} blocked: {Reason}")]
    private static partial void LogBlocked(ILogger logger, string jobId, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Job {JobId} unblocked ({Reason}): {Outcome}")]
    private static partial void LogUnblocked(ILogger logger, string jobId, string reason, PlaceOutcome outcome);

    [LoggerMessage(Level = LogLevel.Information, Message = "Job {JobId} is unsatisfiable: {Reason}")]
    private static partial void LogUnsatisfiable(ILogger logger, string jobId, string reason);
}
