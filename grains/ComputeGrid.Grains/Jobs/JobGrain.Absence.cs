using ComputeGrid.Contracts.Jobs;
using ComputeGrid.Grains.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Orleans.Storage;

namespace ComputeGrid.Grains.Jobs;

/// <summary>
/// "No such job" is confirmed with storage before it is answered. While membership changes (a silo drains or dies),
/// Orleans may briefly run a second activation of a job: one that activated before the other one's acceptance was
/// written holds no record, and would answer a client that was just told "accepted" that the job does not exist. The
/// confirmation reads a copy of the stored record (the activation's own state, which a submission may be changing, is
/// left alone); finding one means this activation is stale, so it answers from the copy and goes when idle. A job whose
/// id is shaped like an array's element (<c>name-5</c>) is asked of that array first, and confirmed here when no array
/// holds it.
/// </summary>
internal sealed partial class JobGrain
{
    private async Task<JobSnapshot?> ConfirmAbsentAsync(CancellationToken cancellationToken)
    {
        var stored = new GrainState<JobRecord>(new JobRecord());
        await ServiceProvider.GetRequiredKeyedService<IGrainStorage>(GridStorage.Name).ReadStateAsync(JobRecord.StateName, this.GetGrainId(), stored);
        cancellationToken.ThrowIfCancellationRequested();
        if (!stored.RecordExists || stored.State is not { Spec: not null } record)
        {
            return null;
        }

        LogStaleActivation(logger, JobId, record.State);
        this.DeactivateOnIdle();
        return Snapshot(JobId, record);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {JobId}: this activation held no record while storage holds it ({State}): a duplicate activation during a membership change; answering from storage and deactivating")]
    private static partial void LogStaleActivation(ILogger logger, string jobId, Domain.Jobs.JobState state);
}
