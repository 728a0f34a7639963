using ComputeGrid.Contracts;
using ComputeGrid.Contracts.JobArrays;
using ComputeGrid.Domain.JobArrays;
using ComputeGrid.Domain.Jobs;
using Microsoft.Extensions.Logging;

namespace ComputeGrid.Grains.JobArrays;

/// <summary>Cancelling an array: every held element is withdrawn at once, activated elements are cancelled a slice at a time.</summary>
internal sealed partial class JobArrayGrain
{
    public async Task<JobArraySnapshot?> CancelAsync(string reason, CancellationToken cancellationToken = default)
    {
        if (_book is not { } book)
        {
            return null;
        }

        if (!Record.Cancelled)
        {
            Record.Cancelled = true;
            Record.CancelReason = reason;
            Record.WaitingFor = null;
            var withdrawn = 0;
            for (var i = 0; i < book.Count; i++)
            {
                withdrawn += Changed(book.Mark(i, ElementCode.Withdrawn)) ? 1 : 0;
            }

            var hub = Record.Template!.OriginHub;
            metrics.ElementsHeld(hub, JobState.Pending, -withdrawn);
            metrics.JobsEntered(hub, JobState.Pending, JobState.Cancelled, withdrawn);
            await Commit.CommitAsync();
            LogCancelled(logger, ArrayId, reason);
        }

        // The elements that are jobs are cancelled now, within a budget: what remains (a huge array, a failed call) is
        // cancelled by the next timer turns, which the counts show.
        using var budget = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        budget.CancelAfter(TimeSpan.FromSeconds(10));
        try
        {
            while (await CancelSliceAsync(budget.Token) > 0)
            {
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            LogCancelBudgetSpent(logger, ArrayId);
        }

        if (!book.AllEnded || _dirty)
        {
            EnsureTimer(TickPeriod);
        }

        return Snapshot();
    }


    /// <summary>Cancels a slice of the elements that are jobs and have not ended; the number it tried.</summary>
    private async Task<int> CancelSliceAsync(CancellationToken cancellationToken)
    {
        var book = _book!;
        var indexes = new List<int>(Slice);
        for (var i = 0; i < book.Count && indexes.Count < Slice; i++)
        {
            if (book.IsSubmitted(i) && !book.StateOf(i).IsTerminal())
            {
                indexes.Add(i);
            }
        }

        // A held element is cancelled through its job grain too, which takes its state over first: the region's queue
        // entry or the data center's reservation goes with the cancel, as for any job.
        var reason = Record.CancelReason ?? "array cancelled";
        await ForEachAsync(indexes, async i =>
        {
            try
            {
                if (await GrainFactory.GetGrain<IJobGrain>(JobArrayRules.ElementId(ArrayId, i)).CancelAsync(reason, cancellationToken) is { } job)
                {
                    Changed(book.Apply(i, job.State, job.History.Count));
                }
            }
            catch (Exception e) when (e is TimeoutException or OrleansException)
            {
                LogElementFailed(logger, ArrayId, i, e);
            }
        }, cancellationToken);

        // Elements whose cancel failed stay as they were: a slice that changed nothing ends this round of cancels.
        return indexes.Count(i => book.StateOf(i).IsTerminal());
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Job array {ArrayId} cancelled: {Reason}")]
    private static partial void LogCancelled(ILogger logger, string arrayId, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Job array {ArrayId}: the rest of its elements are cancelled by its timer")]
    private static partial void LogCancelBudgetSpent(ILogger logger, string arrayId);
}
