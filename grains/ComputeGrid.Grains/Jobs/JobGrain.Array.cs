using ComputeGrid.Contracts;
using ComputeGrid.Contracts.JobArrays;
using ComputeGrid.Domain.JobArrays;
using ComputeGrid.Domain.Jobs;

namespace ComputeGrid.Grains.Jobs;

/// <summary>
/// Lazy activation of an array element. A job whose id names an element (<c>&lt;arrayId&gt;-&lt;index&gt;</c>) and that
/// has no record of its own may be held by its array: reads go to the array; the first call that changes the job takes
/// the element's state over from the array (durable there before it answers) and goes on as any job, writing its own
/// record from its first transition on. A start reported by the element's data center is the one change the array
/// records itself (Running), so that a placed element that runs costs no write of its own until it ends. The job is the same grain throughout, so whoever calls it by id (its region, its
/// data center, a client) never needs to know whether it was held.
/// </summary>
internal sealed partial class JobGrain
{
    private (string ArrayId, int Index)? _element;
    private Task? _activating;

    /// <summary>True while this job has no record of its own and its id names an array element: its array may hold it.</summary>
    private bool MayBeHeld => Record.Spec is null && _element is not null;

    private void FindElement() => _element = Record.Spec is null && JobArrayRules.TryParseElementId(JobId, out var arrayId, out var index) ? (arrayId, index) : null;

    /// <summary>The element as its array holds it (null when no array holds it), for reads while this grain has no record.</summary>
    private async Task<HeldElement?> ReadHeldAsync(CancellationToken cancellationToken) =>
        _element is var (arrayId, index) ? await GrainFactory.GetGrain<IJobArrayGrain>(arrayId).ReadElementAsync(index, cancellationToken) : null;

    /// <summary>
    /// Before a call changes the job: takes the element's state over from its array, once (concurrent calls share the
    /// hand-over). Nothing happens for a job with its own record or no array; a failure leaves the element with its
    /// array and fails the call (a retry hands it over again).
    /// </summary>
    private Task ActivateElementAsync()
    {
        if (!MayBeHeld)
        {
            return Task.CompletedTask;
        }

        return _activating ??= TakeOverAsync();
    }

    private async Task TakeOverAsync()
    {
        try
        {
            var (arrayId, index) = _element!.Value;
            if (await GrainFactory.GetGrain<IJobArrayGrain>(arrayId).ActivateElementAsync(index) is not { Job: var job } || Record.Spec is not null)
            {
                return;
            }

            Record.Spec = job.Spec;
            Record.State = job.State;
            Record.SubmittedAt = job.SubmittedAt;
            Record.Placement = job.Placement;
            Record.StartedAt = job.StartedAt;
            Record.History = [.. job.History];
            _durable = Snapshot();
            if (job.State is JobState.Pending or JobState.Blocked)
            {
                // Its array had not placed it yet and never will now: place it as reconciliation would, after this turn (a
                // blocked one reads its array's dependencies itself: its spec carries them).
                await this.AsReference<IJobGrain>().DriveAsync();
            }
        }
        finally
        {
            _activating = null;
        }
    }

    /// <summary>
    /// A data center's report that the element started, while its array holds it: the array records Running (durable
    /// before it answers) and the job needs no activation of its own. False when the array does not hold it scheduled
    /// there: the job then takes the element over and handles the report as any job.
    /// </summary>
    private async Task<bool> RunHeldAsync(string dataCenterId, CancellationToken cancellationToken) =>
        MayBeHeld && _watchers.Count == 0 && _element is var (arrayId, index)
        && await GrainFactory.GetGrain<IJobArrayGrain>(arrayId).RunElementAsync(index, dataCenterId, cancellationToken);
}
