using System.Diagnostics;
using ComputeGrid.Contracts;
using ComputeGrid.Contracts.JobArrays;
using ComputeGrid.Contracts.Jobs;
using ComputeGrid.Contracts.Regions;
using ComputeGrid.Domain.JobArrays;
using ComputeGrid.Domain.Placement;
using ComputeGrid.Domain.Jobs;

namespace ComputeGrid.Grains.JobArrays;

/// <summary>
/// The elements whose state the array holds: placing them in batches, recording where each went, starting the placed
/// ones, and handing an element over to its job grain when that needs an activation of its own.
/// </summary>
internal sealed partial class JobArrayGrain
{
    // Elements whose placement call is under way, with the call: an activation waits for its element's answer.
    private readonly Dictionary<int, Task> _placing = [];
    private readonly Dictionary<JobPlacement, int> _placementIndex = [];
    private int _cursor;
    private int _placeFailures;
    private long _placeAfterTick;

    public Task<HeldElement?> ReadElementAsync(int index, CancellationToken cancellationToken = default) =>
        Task.FromResult(HeldView(index, settling: Unanswered(index)));

    /// <summary>
    /// True while the array has no answer from the region for element <paramref name="index"/>: its call is under way, or
    /// failed (a timeout after a silo died) and is made again by a later round. The region may hold a queue entry or a
    /// placement for it all the same, so reconciliation must not take the element's Pending for the truth: a region that
    /// dropped such a placement drove the element, whose call to the region then waited on the region's assignment of
    /// that very element until both timed out (a chaos run spent minutes of its regions' turns that way).
    /// </summary>
    private bool Unanswered(int index) =>
        _placing.ContainsKey(index) || (_book is { } book && (uint)index < (uint)book.Count && book.CodeOf(index) == (byte)ElementCode.Unsubmitted);

    public async Task<HeldElement?> ActivateElementAsync(int index, CancellationToken cancellationToken = default)
    {
        // Never waits for a placement call under way: the region may be the caller (assigning the element from its queue
        // while the array's call waits for that very region). An element taken over while being placed is Pending to
        // its job, which places it itself (the region answers with what it holds); the array ignores the call's answer.
        if (_book is not { } book || HeldView(index, settling: false) is not { } view)
        {
            return null;
        }

        if (book.IsHeld(index))
        {
            metrics.ElementsHeld(Record.Template!.OriginHub, view.Job.State, -1);
            metrics.ElementActivated(Record.Template.OriginHub);
            Changed(book.Activate(index, view.Job.History.Count));
        }

        // Durable before the job grain acts on it: the array never acts on an activated element again, and a grain that
        // loses the state before writing its own gets the same again (the held data stays as it was).
        await Commit.CommitAsync();
        return view with { Activated = true };
    }

    public async Task<bool> RunElementAsync(int index, string dataCenterId, CancellationToken cancellationToken = default)
    {
        if (_book is not { } book || (uint)index >= (uint)book.Count || Record.PlacementRefs[index] == 0
            || Record.Placements[Record.PlacementRefs[index] - 1].DataCenterId != dataCenterId)
        {
            return false;
        }

        if (book.CodeOf(index) == (byte)ElementCode.HeldScheduled && Changed(book.Run(index)))
        {
            Record.StartedAtMs[index] = SinceSubmitted();
            var hub = Record.Template!.OriginHub;
            metrics.ElementsHeld(hub, JobState.Scheduled, -1);
            metrics.ElementsHeld(hub, JobState.Running, +1);
            metrics.JobsEntered(hub, JobState.Scheduled, JobState.Running, 1);
        }
        else if (book.CodeOf(index) != (byte)ElementCode.HeldRunning)
        {
            return false;
        }

        // A repeated report waits for the write too: it is answered only once Running is durable.
        await Commit.CommitAsync();
        return true;
    }

    /// <summary>Element <paramref name="index"/> as a job from what the array holds, or null when it is no job (unknown, rejected, withdrawn).</summary>
    private HeldElement? HeldView(int index, bool settling)
    {
        if (_book is not { } book || (uint)index >= (uint)book.Count
            || book.CodeOf(index) is (byte)ElementCode.Rejected or (byte)ElementCode.Withdrawn)
        {
            return null;
        }

        var template = Record.Template!;
        var jobId = JobArrayRules.ElementId(ArrayId, index);
        var events = new List<JobEvent>(2)
        {
            new(jobId, 1, JobState.Pending, Record.SubmittedAt, null, $"accepted from {template.OriginHub} for tenant {template.Tenant} as element {index} of array {ArrayId}"),
        };
        var placement = Record.PlacementRefs[index] > 0 ? Record.Placements[Record.PlacementRefs[index] - 1] : null;
        if (book.CodeOf(index) == (byte)ElementCode.Unsatisfied)
        {
            events.Add(new JobEvent(jobId, 2, JobState.Unsatisfiable, Record.SubmittedAt, null, Record.Unsatisfiable ?? "a dependency of its array can never be met"));
        }
        else if (book.CodeOf(index) == (byte)ElementCode.Unsubmitted && Record.WaitingFor is { } waitingFor)
        {
            events.Add(new JobEvent(jobId, 2, JobState.Blocked, Record.SubmittedAt, null, $"its array {waitingFor}"));
        }

        if (Record.HeldAtMs[index] > 0)
        {
            var at = Record.SubmittedAt + TimeSpan.FromMilliseconds(Record.HeldAtMs[index] - 1);
            events.Add(placement is not null
                ? new JobEvent(jobId, 2, JobState.Scheduled, at, placement.DataCenterId, placement.Reason)
                : new JobEvent(jobId, 2, JobState.Queued, at, null, $"no feasible data center has room now; waiting in {template.OriginHub}'s queue"));
        }

        DateTimeOffset? started = null;
        if (placement is not null && Record.StartedAtMs[index] > 0)
        {
            started = Record.SubmittedAt + TimeSpan.FromMilliseconds(Record.StartedAtMs[index] - 1);
            events.Add(new JobEvent(jobId, 3, JobState.Running, started.Value, placement.DataCenterId, $"started in {placement.DataCenterId}"));
        }

        var job = new JobSnapshot(jobId, JobArrayRules.ElementSpec(template, ArrayId, index), events[^1].State, Record.SubmittedAt, started, null, placement, null, events);
        return new HeldElement(job, settling, book.IsJob(index));
    }

    /// <summary>Placement rounds until nothing is left to place or the turn's budget is spent: each round's answers written once, then its placed elements started.</summary>
    private async Task PlaceRoundsAsync(ElementStates book, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        while (!Record.Cancelled && book.Unsubmitted > 0 && Stopwatch.GetElapsedTime(started) < PlaceBudget)
        {
            var indexes = NextUnsubmitted(book, Slice);
            if (indexes.Count == 0)
            {
                return;
            }

            var answers = await Task.WhenAll(indexes.Chunk(PlaceBatch).Select(batch => PlaceAsync(batch, cancellationToken)));
            await Commit.CommitAsync();
            await StartPlacedAsync(indexes, cancellationToken);
            if (answers.All(a => a is null))
            {
                // The region did not answer: a later turn tries again, after a pause that grows while it stays silent, so
                // that an overloaded region (after a silo died) is not sent the same batch again every turn.
                _placeFailures++;
                _placeAfterTick = _ticks + Math.Min(100, 5L << Math.Min(_placeFailures, 4));
                return;
            }

            _placeFailures = 0;
        }
    }

    /// <summary>Up to <paramref name="most"/> elements not submitted and not being placed, from where the last round stopped.</summary>
    private List<int> NextUnsubmitted(ElementStates book, int most)
    {
        var indexes = new List<int>(Math.Min(most, book.Unsubmitted));
        for (var pass = 0; pass < 2 && indexes.Count == 0; pass++)
        {
            for (; _cursor < book.Count && indexes.Count < most; _cursor++)
            {
                if (book.CodeOf(_cursor) == (byte)ElementCode.Unsubmitted && !_placing.ContainsKey(_cursor))
                {
                    indexes.Add(_cursor);
                }
            }

            if (indexes.Count == 0)
            {
                _cursor = 0;
            }
        }

        return indexes;
    }

    /// <summary>
    /// Places the elements at <paramref name="indexes"/> with one call to the origin hub's region and records each answer
    /// in memory; returns the first element's answer, or null when the call failed (they stay unsubmitted and are placed
    /// again later: placement is idempotent by job id).
    /// </summary>
    private async Task<PlaceResult?> PlaceAsync(int[] indexes, CancellationToken cancellationToken)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        foreach (var i in indexes)
        {
            _placing[i] = done.Task;
        }

        try
        {
            var template = Record.Template!;
            var asks = new PlaceAsk[indexes.Length];
            for (var k = 0; k < asks.Length; k++)
            {
                asks[k] = new PlaceAsk(JobArrayRules.ElementId(ArrayId, indexes[k]), JobArrayRules.ElementSpec(template, ArrayId, indexes[k]));
            }

            var results = await GrainFactory.GetGrain<IRegionGrain>(template.OriginHub).PlaceBatchAsync(asks, cancellationToken);
            for (var k = 0; k < asks.Length; k++)
            {
                RecordHeld(indexes[k], results[k]);
            }

            return results[0];
        }
        // Orleans cancels a call whose region could not be placed in time (its silo just died): tried again as a timeout is.
        catch (Exception e) when (e is TimeoutException or OrleansException || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            LogElementFailed(logger, ArrayId, indexes[0], e);
            return null;
        }
        finally
        {
            foreach (var i in indexes)
            {
                _placing.Remove(i);
            }

            done.TrySetResult();
        }
    }

    /// <summary>Records where the region put an element the array holds.</summary>
    private void RecordHeld(int index, PlaceResult result)
    {
        var book = _book!;
        switch (result.Outcome)
        {
            case PlaceOutcome.Rejected when Changed(book.Mark(index, ElementCode.Rejected)):
                LogElementRefused(logger, ArrayId, index, result.Refusal, string.Join("; ", result.Errors));
                break;
            case PlaceOutcome.Placed when result.Placement is { } placement && Changed(book.Hold(index, placed: true)):
                Record.PlacementRefs[index] = Intern(placement) + 1;
                Record.HeldAtMs[index] = SinceSubmitted();
                break;
            case PlaceOutcome.Queued when Changed(book.Hold(index, placed: false)):
                Record.HeldAtMs[index] = SinceSubmitted();
                break;
            default:
                return;
        }

        if (_open)
        {
            CountHeld(index);
        }
    }

    /// <summary>The metrics of an element that left Pending at its placement (counted once the array is accepted).</summary>
    private void CountHeld(int index)
    {
        var book = _book!;
        var hub = Record.Template!.OriginHub;
        var now = book.StateOf(index);
        if (now == JobState.Pending)
        {
            return;
        }

        metrics.ElementsHeld(hub, JobState.Pending, -1);
        metrics.JobsEntered(hub, JobState.Pending, now, 1);
        if (!now.IsTerminal())
        {
            metrics.ElementsHeld(hub, now, +1);
        }

        if (now == JobState.Scheduled && Record.PlacementRefs[index] > 0)
        {
            metrics.Placed(hub, Record.Placements[Record.PlacementRefs[index] - 1].HubId, TimeSpan.FromMilliseconds(Record.HeldAtMs[index] - 1));
        }
    }

    /// <summary>Starts the held elements among <paramref name="indexes"/> that were placed (idempotent at the data center, whose reconciliation also starts what a lost call left).</summary>
    private async Task StartPlacedAsync(IReadOnlyList<int> indexes, CancellationToken cancellationToken)
    {
        var book = _book!;
        var placed = indexes.Where(i => book.CodeOf(i) == (byte)ElementCode.HeldScheduled).ToList();
        var template = Record.Template!;
        await ForEachAsync(placed, async i =>
        {
            var placement = Record.Placements[Record.PlacementRefs[i] - 1];
            try
            {
                await GrainFactory.GetGrain<IDataCenterGrain>(placement.DataCenterId)
                    .StartAsync(JobArrayRules.ElementId(ArrayId, i), JobArrayRules.ElementSpec(template, ArrayId, i), null, cancellationToken);
            }
            catch (Exception e) when (e is TimeoutException or OrleansException)
            {
                LogElementFailed(logger, ArrayId, i, e);
            }
        }, cancellationToken);
    }

    /// <summary>Rebuilds what the activation keeps beside the record (and sizes the held arrays of a record written before they existed).</summary>
    private void RestoreHeld()
    {
        if (Record.PlacementRefs.Length != Record.Count)
        {
            Record.PlacementRefs = new int[Record.Count];
        }

        if (Record.HeldAtMs.Length != Record.Count)
        {
            Record.HeldAtMs = new int[Record.Count];
        }

        if (Record.StartedAtMs.Length != Record.Count)
        {
            Record.StartedAtMs = new int[Record.Count];
        }

        for (var i = 0; i < Record.Placements.Count; i++)
        {
            _placementIndex[Record.Placements[i]] = i;
        }
    }

    private int Intern(JobPlacement placement)
    {
        if (!_placementIndex.TryGetValue(placement, out var index))
        {
            index = Record.Placements.Count;
            Record.Placements.Add(placement);
            _placementIndex[placement] = index;
        }

        return index;
    }

    /// <summary>Now in ms after the array's submission, plus 1 (0 stands for never).</summary>
    private int SinceSubmitted() => (int)Math.Clamp((clock.Now - Record.SubmittedAt).TotalMilliseconds, 0, int.MaxValue - 1) + 1;
}
