using ComputeGrid.Contracts;
using ComputeGrid.Contracts.Jobs;
using ComputeGrid.Domain.Jobs;
using ComputeGrid.Domain.Loans;
using ComputeGrid.Domain.Placement;
using ComputeGrid.Domain.Resources;
using Microsoft.Extensions.Logging;

namespace ComputeGrid.Grains.Regions;

/// <summary>
/// GreenestPredictive: a job whose greenest data center is full may wait in the queue for it. The decision is the
/// domain's (<see cref="PredictiveWait"/>); the region feeds it what it sees (free capacity and loan slices, its own jobs'
/// declared ends there, the data center's release rate from its capacity-freed notices, the arrival forecast) and
/// makes sure a waiting job gets a pass by its predicted start or its bound, on the federation clock.
/// </summary>
internal sealed partial class RegionGrain
{
    private ReleaseObserver? _releases;
    private ITimer? _waitTimer;
    private DateTimeOffset? _waitTimerAt;

    /// <summary>What the capacity-freed notices showed coming free at each data center lately.</summary>
    private ReleaseObserver Releases => _releases ??= new ReleaseObserver(options.Value.PredictiveWindow);

    public Task OnWaitDueAsync()
    {
        _waitTimer?.Dispose();
        _waitTimer = null;
        _waitTimerAt = null;
        DrainSoon();
        return Task.CompletedTask;
    }

    /// <summary>A capacity-freed notice: counted in the data center's release rate, against what the region saw there before.</summary>
    private void NoteFreed(string dataCenterId, ResourceVector free)
    {
        if (View.FreeAt(dataCenterId) is { } before)
        {
            Releases.Note(dataCenterId, before, free, clock.Now);
        }
    }

    /// <summary>
    /// For a GreenestPredictive job whose greenest data center within its constraints (free capacity aside) is neither its
    /// best place now (<paramref name="plan"/>) nor the hub it would borrow from (<paramref name="wants"/>): the domain's
    /// choice of waiting for it or taking the best place now. Null when the rule does not apply (another policy, the best
    /// place now is the greenest, or there is nothing to spill to: then the job waits as any job does); a choice with
    /// <see cref="PredictiveChoice.Waits"/> false means: do what Greenest does now.
    /// </summary>
    private (ScoredCandidate Ideal, PredictiveChoice Choice)? PredictiveChoiceFor(string jobId, JobSpec spec, DateTimeOffset enqueuedAt, PlacementShortlist plan, string? wants, bool explainOnly = false)
    {
        if (spec.Policy != PlacementPolicy.GreenestPredictive || spec.Reservation is not null || spec.IsWholeGang)
        {
            return null;
        }

        var loans = loanOptions.Value.Enabled;
        if (View.Ideal(spec, hub => hub == HubId || loans) is not { } ideal)
        {
            return null;
        }

        var best = plan.Ranked.Count > 0 ? plan.Ranked[0] : null;
        if (best?.DataCenterId == ideal.DataCenterId || wants == ideal.HubId)
        {
            return null;
        }

        var spill = wants is { } hub ? View.Best(spec, h => h == hub) : best;
        if (spill is null)
        {
            return null;
        }

        var now = clock.Now;
        var choice = PredictiveWait.Choose(
            spec.Resources,
            OutlookAt(spec, ideal, now),
            enqueuedAt,
            now,
            options.Value.PredictiveMaxWait,
            options.Value.PredictiveMinSaving,
            ideal.Estimate.CarbonKg,
            spill.Estimate.CarbonKg);
        if (explainOnly)
        {
            return (ideal, choice);
        }

        if (choice.WakeAt is { } wake)
        {
            WakeBy(wake);
        }

        LogPredictive(logger, HubId, jobId, ideal.DataCenterId, choice.Waits, choice.Reason);
        return (ideal, choice);
    }

    /// <summary>
    /// Explain's sentence for a queued GreenestPredictive job that waits for its greenest data center now; null for any
    /// other job (the domain's explainer speaks for it).
    /// </summary>
    private string? PredictiveSummary(JobSnapshot job) =>
        job.State == JobState.Queued && _queue.TryGetValue(job.JobId, out var queued) && queued.Spec.Policy == PlacementPolicy.GreenestPredictive
            && Shortlist(queued.Spec) is var plan
            && PredictiveChoiceFor(job.JobId, queued.Spec, queued.EnqueuedAt, plan, WantsLoanFrom(queued.Spec, plan), explainOnly: true) is ({ } ideal, { Waits: true } choice)
                ? $"Queued in {HubId}'s queue: {WaitingForGreenest(ideal, choice)}"
                : null;

    /// <summary>The sentence a waiting GreenestPredictive job's Queued event gives.</summary>
    private static string WaitingForGreenest(ScoredCandidate ideal, PredictiveChoice choice) =>
        $"GreenestPredictive: waiting for its greenest data center {ideal.DataCenterId} ({Domain.Quantity.Carbon(ideal.Estimate.CarbonKg)}), full now: {choice.Reason}; it takes the best place with room at its first pass after {choice.Deadline:u}";

    /// <summary>
    /// The room the job could use at <paramref name="ideal"/> over time, as this region sees it. At its own data center:
    /// the free capacity last seen, its own jobs' declared ends there and the release rate of the notices. At a peer's:
    /// the same with the room of its loan slices there as well, while the peer takes asks; when the peer refused a loan
    /// lately its lending limit binds, and what frees at the data center goes to whoever asks first, so only the room of
    /// the region's own open slices there counts, and its own jobs on them ending (no ask needed to use those).
    /// </summary>
    private RoomOutlook OutlookAt(JobSpec spec, ScoredCandidate ideal, DateTimeOffset now)
    {
        var dataCenterId = ideal.DataCenterId;
        var seen = View.FreeAt(dataCenterId) ?? ResourceVector.Zero;
        var released = Releases.RateAt(dataCenterId, spec.Resources, now);
        if (ideal.HubId == HubId)
        {
            return new RoomOutlook(seen, Book.KnownReleasesAt(dataCenterId, now), released, ResourceRate.Zero, now);
        }

        var slice = Loans.UsableSlices(now, spec.Resources).Where(s => s.DataCenterId == dataCenterId).Select(s => s.Room).FirstOrDefault() ?? ResourceVector.Zero;
        var competing = Loans.CompetingFor(ideal.HubId, spec.Resources, now);
        if (Loans.BackedOffUntil(ideal.HubId, now) is null)
        {
            return new RoomOutlook(QuotaMath.Max(slice, seen), Book.KnownReleasesAt(dataCenterId, now), released, competing, now);
        }

        var open = Loans.Borrowed;
        var ownSlices = Book.KnownReleasesAt(dataCenterId, now, loanId => loanId is not null && open.TryGetValue(loanId, out var loan) && loan.State.TakesPlacements() && loan.EndsAt > now);
        return new RoomOutlook(slice, ownSlices, ResourceRate.Zero, competing, now);
    }

    /// <summary>
    /// A pass at <paramref name="at"/> at the latest, on the federation clock (a trace replay's virtual one included): one
    /// timer for the earliest wake of the waiting jobs. Capacity notices bring passes sooner; this one makes sure a job
    /// whose bound runs out is tried again even when nothing frees.
    /// </summary>
    private void WakeBy(DateTimeOffset at)
    {
        if (_waitTimerAt is { } due && due <= at)
        {
            return;
        }

        _waitTimer?.Dispose();
        _waitTimerAt = at;
        var region = GrainFactory.GetGrain<IRegionGrain>(HubId);
        var delay = at - clock.Now;
        _waitTimer = clock.Time.CreateTimer(_ => _ = region.OnWaitDueAsync(), null, delay > TimeSpan.Zero ? delay : TimeSpan.Zero, Timeout.InfiniteTimeSpan);
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Region {HubId}: GreenestPredictive job {JobId}, greenest data center {DataCenterId} full, waits: {Waits} ({Reason})")]
    private static partial void LogPredictive(ILogger logger, string hubId, string jobId, string dataCenterId, bool waits, string reason);
}
