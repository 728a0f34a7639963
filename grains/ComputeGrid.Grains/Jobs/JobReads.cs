using ComputeGrid.Contracts;
using ComputeGrid.Contracts.Jobs;

namespace ComputeGrid.Grains.Jobs;

/// <summary>Reads many jobs at once for reconciliation, each within a deadline.</summary>
internal static class JobReads
{
    /// <summary>
    /// The jobs' snapshots (null for a job that does not exist), read concurrently. A job that did not answer within
    /// <paramref name="deadline"/> (its silo crashed and is not yet declared dead, say) is left out: the caller's pass
    /// must not hold its grain for a whole response timeout, and the next pass reads it again.
    /// </summary>
    public static async Task<Dictionary<string, JobSnapshot?>> ReadAsync(IGrainFactory grains, IReadOnlyCollection<string> jobIds, TimeSpan deadline, CancellationToken cancellationToken)
    {
        var reads = await Task.WhenAll(jobIds.Select(async id =>
            (Id: id, Read: await WithinAsync(ct => grains.GetGrain<IJobGrain>(id).GetAsync(ct), deadline, cancellationToken))));
        return reads.Where(r => r.Read.Answered).ToDictionary(r => r.Id, r => r.Read.Value, StringComparer.Ordinal);
    }

    /// <summary>
    /// Whether the job is being placed or is writing a transition (<see cref="IJobGrain.IsSettlingAsync"/>), or null when it
    /// did not answer within <paramref name="deadline"/>. Reconciliation releases or drops what the job's stored state does
    /// not account for only on a plain false.
    /// </summary>
    public static async Task<bool?> IsSettlingAsync(IGrainFactory grains, string jobId, TimeSpan deadline, CancellationToken cancellationToken) =>
        await WithinAsync(ct => grains.GetGrain<IJobGrain>(jobId).IsSettlingAsync(ct), deadline, cancellationToken) is (true, var settling) ? settling : null;

    /// <summary>
    /// Whether the job confirmed in storage that it holds nothing at <paramref name="dataCenterId"/>
    /// (<see cref="IJobGrain.DisownAsync"/>), or null when it did not answer within <paramref name="deadline"/> or its
    /// write failed. A data center releases a reservation its job does not account for only on a plain true.
    /// </summary>
    public static async Task<bool?> DisownsAsync(IGrainFactory grains, string jobId, string dataCenterId, TimeSpan deadline, CancellationToken cancellationToken) =>
        await WithinAsync(ct => grains.GetGrain<IJobGrain>(jobId).DisownAsync(dataCenterId, ct), deadline, cancellationToken) is (true, var disowned) ? disowned : null;

    /// <summary>One call limited to <paramref name="deadline"/>: its answer, or not answered when it timed out or its silo was gone.</summary>
    private static async Task<(bool Answered, T? Value)> WithinAsync<T>(Func<CancellationToken, Task<T>> call, TimeSpan deadline, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(deadline);
        try
        {
            return (true, await call(timeout.Token));
        }
        catch (Exception e) when (e is TimeoutException or OrleansException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            return (false, default);
        }
    }

    /// <summary>How long one reconciliation pass waits for the jobs it reads: half its interval, at most 3 s.</summary>
    public static TimeSpan DeadlineFor(TimeSpan reconcileInterval) => TimeSpan.FromTicks(Math.Min(reconcileInterval.Ticks / 2, TimeSpan.FromSeconds(3).Ticks));
}
