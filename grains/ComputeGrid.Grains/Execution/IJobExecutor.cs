namespace ComputeGrid.Grains.Execution;

/// <summary>
/// Runs the jobs a data center was given. Implementations report back through <c>IJobGrain.ReportRunningAsync</c> and
/// <c>IJobGrain.ReportFinishedAsync</c>; both calls must be idempotent on the executor's side.
/// </summary>
public interface IJobExecutor
{
    /// <summary>Starts a job; a job already started is left alone.</summary>
    void Start(string dataCenterId, string jobId, TimeSpan runTime);

    /// <summary>Stops a job; an unknown job is ignored.</summary>
    void Stop(string jobId);
}
