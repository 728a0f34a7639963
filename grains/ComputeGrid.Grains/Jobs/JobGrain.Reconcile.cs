using ComputeGrid.Contracts;
using ComputeGrid.Contracts.Regions;
using ComputeGrid.Domain.Jobs;
using Microsoft.Extensions.Logging;

namespace ComputeGrid.Grains.Jobs;

/// <summary>What reconciliation asks of a job: to confirm it holds nothing at a data center, or to be driven on (<see cref="JobBook"/> decides both).</summary>
internal sealed partial class JobGrain
{
    public async Task<bool> DisownAsync(string dataCenterId, CancellationToken cancellationToken = default)
    {
        await ActivateElementAsync();
        if (!Book.MayDisown(dataCenterId, _unwritten))
        {
            return false;
        }

        // Writes what this activation holds, unchanged, conditional on the version it read: if storage holds a version it
        // never read (a placement recorded by a duplicate activation, or a write that landed after it was reported
        // failed), the write fails, the activation goes, and the next one reads the placement.
        try
        {
            await state.WriteStateAsync(cancellationToken);
        }
        catch
        {
            _unwritten = true;
            DeactivateOnIdle();
            throw;
        }

        LogDisowned(logger, JobId, dataCenterId);
        return true;
    }

    public async Task DriveAsync()
    {
        await ActivateElementAsync();
        var drive = Book.Drive(clock.Now);
        switch (drive.Action)
        {
            case JobDriveAction.Exit:
                await ExitAsync(drive.Release!, CancellationToken.None);
                return;
            case JobDriveAction.Start:
                await StartAsync(CancellationToken.None);
                return;
            case JobDriveAction.None:
                return;
            case JobDriveAction.Unblock:
                await CheckDependenciesAsync();
                return;
        }

        // Pending, Queued or Preempted, and no region holds it (reconciliation dropped the disagreeing record): place it again.
        var spec = Record.Spec!;
        var region = GrainFactory.GetGrain<IRegionGrain>(spec.OriginHub);
        var placed = drive.Action == JobDriveAction.Requeue ? await region.RequeueAsync(JobId, spec) : await region.PlaceAsync(JobId, spec);
        LogDriven(logger, JobId, Record.State, placed.Outcome);
        if (placed is { Outcome: PlaceOutcome.Placed, Placement: { } placement })
        {
            await AssignAsync(placement);
        }
        else if (placed.Outcome == PlaceOutcome.Queued)
        {
            await CommitAsync(Book.QueueDrivenOn(clock.Now), CancellationToken.None);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Job {JobId} confirmed in storage that it holds nothing at {DataCenterId}")]
    private static partial void LogDisowned(ILogger logger, string jobId, string dataCenterId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Reconciliation drove job {JobId} on from {State}: {Outcome}")]
    private static partial void LogDriven(ILogger logger, string jobId, JobState state, PlaceOutcome outcome);
}
