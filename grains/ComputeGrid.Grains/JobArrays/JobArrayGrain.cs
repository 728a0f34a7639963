using ComputeGrid.Contracts;
using ComputeGrid.Contracts.JobArrays;
using ComputeGrid.Contracts.Regions;
using ComputeGrid.Contracts.Jobs;
using ComputeGrid.Domain;
using ComputeGrid.Domain.JobArrays;
using ComputeGrid.Domain.Jobs;
using ComputeGrid.Grains.Hosting;
using ComputeGrid.Grains.Jobs;
using ComputeGrid.Grains.Persistence;
using ComputeGrid.Grains.Telemetry;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ComputeGrid.Grains.JobArrays;

/// <summary>
/// One job array. It is acknowledged once its record is durable and its first element placed or queued; then its timer
/// places the other elements in batches through the origin hub's region (<see cref="IRegionGrain.PlaceBatchAsync"/>),
/// holds each element's state (queued, or scheduled with its placement) in its own record, writes it, and starts the
/// placed elements at their data centers. No element's job grain is written at submission: it activates lazily, reading
/// a held element through the array and taking its state over before its first change of its own
/// (<see cref="ActivateElementAsync"/>); from then on it reports each transition one-way, and a slow sweep re-reads the
/// activated elements that have not ended so that a lost report is repaired. A crash before the array's write loses no
/// element: the region answers an element placed again with the placement it holds (placement is idempotent by job id).
/// Every write goes through one group commit, so activations that arrive together share a write. A reminder wakes the
/// array after a restart of the whole cluster until every element has ended.
/// </summary>
internal sealed partial class JobArrayGrain(
    [PersistentState("jobArray", GridStorage.Name)] IPersistentState<JobArrayRecord> state,
    GridClock clock,
    GridMetrics metrics,
    IOptions<ComputeGridOptions> options,
    ILogger<JobArrayGrain> logger) : Grain, IJobArrayGrain, IRemindable
{
    /// <summary>Element calls in flight at once (starts at data centers, cancels).</summary>
    private const int InFlight = 256;

    /// <summary>Most elements one timer turn cancels or sweeps, and one placement round places, so that other calls get their turn between slices.</summary>
    private const int Slice = 8192;

    /// <summary>Elements in one call to the region: one region turn and one write of its placements for all of them.</summary>
    private const int PlaceBatch = 2048;

    /// <summary>How long one timer turn goes on placing before it lets other calls in.</summary>
    private static readonly TimeSpan PlaceBudget = TimeSpan.FromSeconds(1);

    private const string WakeReminder = "wake";
    private static readonly TimeSpan TickPeriod = TimeSpan.FromMilliseconds(100);

    /// <summary>Element reports are written at most every this many timer turns (1 s).</summary>
    private const int WriteEveryTicks = 10;

    private ElementStates? _book;
    private GroupCommit? _commit;
    private IGrainTimer? _timer;
    private long _version;
    private bool _dirty;
    private bool _open;
    private long _ticks;
    private long _lastWriteTick;
    private int _sweepFrom = -1;
    private long _nextSweepTick;

    private string ArrayId => this.GetPrimaryKeyString();

    private JobArrayRecord Record => state.State;

    private GroupCommit Commit => _commit ??= new GroupCommit(WriteRecordAsync, e =>
    {
        LogWriteFailed(logger, ArrayId, e);
        DeactivateOnIdle();
    });

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        if (Record.Template is not null)
        {
            _book = new ElementStates(Record.Codes, Record.Sequences);
            RestoreHeld();
            if (!_book.AllEnded)
            {
                Open();

                // Reports sent since the last write died with the previous activation: sweep the elements at once.
                _sweepFrom = 0;
                EnsureTimer(TickPeriod);
            }
        }

        return Task.CompletedTask;
    }

    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        Close();

        // A refused array holds nothing (its record was cleared): there is nothing to write.
        if (_dirty && _book is not null)
        {
            try
            {
                await Commit.CommitAsync();
            }
            catch (Exception e) when (e is TimeoutException or OrleansException or OperationCanceledException or InvalidOperationException)
            {
                // The next activation places again what this write would have recorded, and sweeps the activated elements.
                LogWriteFailed(logger, ArrayId, e);
            }
        }
    }

    public Task ReceiveReminder(string reminderName, TickStatus status)
    {
        if (Record.WaitingFor is not null && !Record.Cancelled)
        {
            // The backstop for a nudge lost in a crash: read the dependencies again.
            return CheckDependenciesAsync();
        }

        if (_book is { AllEnded: false })
        {
            EnsureTimer(TickPeriod);
        }

        return Task.CompletedTask;
    }

    public async Task<JobArraySubmitResult> SubmitAsync(JobSpec template, int count, CancellationToken cancellationToken = default)
    {
        if (Record.Template is { } existing)
        {
            if (!JobSpecs.AreSame(existing, template) || Record.Count != count)
            {
                return JobArraySubmitResult.Refused(SubmitRefusal.Conflict, [new ValidationError("arrayId", $"array '{ArrayId}' already exists with a different specification or size")]);
            }

            // A retry of a submission that failed after its record was written: the elements are placed from here on.
            if (_book is { AllEnded: false })
            {
                Open();
                EnsureTimer(TimeSpan.Zero);
            }

            return JobArraySubmitResult.Accepted(Snapshot());
        }

        var errors = JobArrayRules.ValidateSubmission(template, count, ArrayId);
        if (errors.Count > 0)
        {
            return JobArraySubmitResult.Refused(SubmitRefusal.Invalid, errors);
        }

        _book = new ElementStates(count);
        Record.Template = template;
        Record.Count = count;
        Record.SubmittedAt = clock.Now;
        Record.Codes = _book.Codes;
        Record.Sequences = _book.Sequences;
        Record.PlacementRefs = new int[count];
        Record.HeldAtMs = new int[count];
        Record.StartedAtMs = new int[count];
        if (template.HasDependencies && await SubmitDependentAsync(template, cancellationToken) is { } answered)
        {
            if (answered.Array is null)
            {
                // Refused: nothing was written, and the array is forgotten.
                state.State = new JobArrayRecord();
                _book = null;
                _dirty = false;
            }

            return answered;
        }

        await Commit.CommitAsync();

        // The first element answers for all: one that can never run refuses the whole array, which is then forgotten.
        var first = await PlaceAsync([0], cancellationToken);
        if (first is { Outcome: PlaceOutcome.Rejected } refused)
        {
            await state.ClearStateAsync(cancellationToken);
            state.State = new JobArrayRecord();
            _book = null;
            _dirty = false;
            return JobArraySubmitResult.Refused(refused.Refusal, refused.Errors);
        }

        metrics.ArraySubmitted(template.OriginHub, count, ArrayId);
        metrics.JobsEntered(template.OriginHub, null, JobState.Pending, count);
        metrics.ElementsHeld(template.OriginHub, JobState.Pending, count);
        CountHeld(0);
        Open();
        await Commit.CommitAsync();
        await StartPlacedAsync([0], cancellationToken);
        ScheduleNextSweep();
        LogSubmitted(logger, ArrayId, template.Tenant, count);
        await this.RegisterOrUpdateReminder(WakeReminder, options.Value.WakeReminderPeriod, options.Value.WakeReminderPeriod, cancellationToken);
        EnsureTimer(TimeSpan.Zero);
        return JobArraySubmitResult.Accepted(Snapshot());
    }

    public Task<JobArraySnapshot?> GetAsync(CancellationToken cancellationToken = default) =>
        Task.FromResult(Record.Template is null ? null : Snapshot());

    public Task<JobArrayElementPage?> ListElementsAsync(JobState? wanted, int limit, int from, CancellationToken cancellationToken = default)
    {
        if (_book is not { } book)
        {
            return Task.FromResult<JobArrayElementPage?>(null);
        }

        var (indexes, next) = book.Page(wanted, limit, from);
        var elements = indexes.Select(i => new JobArrayElement(i, JobArrayRules.ElementId(ArrayId, i), book.StateOf(i), book.IsSubmitted(i))).ToList();
        return Task.FromResult<JobArrayElementPage?>(new JobArrayElementPage(elements, next));
    }

    public Task OnElementChangedAsync(int index, JobState jobState, int sequence)
    {
        if (_book is { } book && Changed(book.Apply(index, jobState, sequence)))
        {
            EnsureTimer(TickPeriod);
        }

        return Task.CompletedTask;
    }

    /// <summary>One timer turn: placements, cancels or a sweep, then a write when something changed.</summary>
    private async Task TickAsync(CancellationToken cancellationToken)
    {
        if (_book is not { } book)
        {
            StopTimer();
            return;
        }

        _ticks++;
        if (Record.WaitingFor is not null && !Record.Cancelled)
        {
            // Nothing is submitted while the array waits for its dependencies; a nudge or the reminder goes on.
            StopTimer();
            return;
        }

        if (Record.Cancelled)
        {
            await CancelSliceAsync(cancellationToken);
        }
        else if (book.Unsubmitted > 0)
        {
            if (_ticks >= _placeAfterTick)
            {
                await PlaceRoundsAsync(book, cancellationToken);
            }
        }
        else if (_sweepFrom >= 0 || _ticks >= _nextSweepTick)
        {
            await SweepSliceAsync(book, cancellationToken);
        }

        if (_dirty && (book.AllEnded || _ticks - _lastWriteTick >= WriteEveryTicks))
        {
            await Commit.CommitAsync();
        }

        if (book.AllEnded && !_dirty)
        {
            StopTimer();
            Close();
            // Not the timer's token: StopTimer disposed the timer, which cancels it, and the reminder then stayed.
            if (await this.GetReminder(WakeReminder, CancellationToken.None) is { } reminder)
            {
                await this.UnregisterReminder(reminder, CancellationToken.None);
            }
        }
    }

    /// <summary>Re-reads a slice of the activated elements that have not ended, repairing what a lost report left behind.</summary>
    private async Task SweepSliceAsync(ElementStates book, CancellationToken cancellationToken)
    {
        var from = Math.Max(_sweepFrom, 0);
        var ids = new List<string>(Slice);
        var next = from;
        for (; next < book.Count && ids.Count < Slice; next++)
        {
            if (book.IsJob(next) && !book.StateOf(next).IsTerminal())
            {
                ids.Add(JobArrayRules.ElementId(ArrayId, next));
            }
        }

        var reads = await JobReads.ReadAsync(GrainFactory, ids, JobReads.DeadlineFor(options.Value.ReconcileInterval), cancellationToken);
        foreach (var (_, job) in reads)
        {
            if (job is { Spec.ArrayId: { } arrayId } && arrayId == ArrayId)
            {
                Changed(book.Apply(job.Spec.ArrayIndex, job.State, job.History.Count));
            }
        }

        _sweepFrom = next < book.Count ? next : -1;
        if (_sweepFrom < 0)
        {
            ScheduleNextSweep();
        }
    }

    /// <summary>The next full sweep in 10 reconcile intervals of timer turns: reports are the rule, a sweep only repairs a lost one.</summary>
    private void ScheduleNextSweep() =>
        _nextSweepTick = _ticks + Math.Max(1, (long)(10 * options.Value.ReconcileInterval / TickPeriod));

    private static async Task ForEachAsync(List<int> indexes, Func<int, Task> body, CancellationToken cancellationToken)
    {
        for (var at = 0; at < indexes.Count; at += InFlight)
        {
            cancellationToken.ThrowIfCancellationRequested();
            await Task.WhenAll(indexes.Skip(at).Take(InFlight).Select(body));
        }
    }

    private bool Changed(bool changed)
    {
        if (changed)
        {
            _dirty = true;
            _version++;
        }

        return changed;
    }

    /// <summary>The group commit's write: the record holds the book's arrays, so it takes every change made before it starts.</summary>
    private async Task WriteRecordAsync(CancellationToken cancellationToken)
    {
        _dirty = false;
        try
        {
            await state.WriteStateAsync(cancellationToken);
        }
        catch
        {
            _dirty = true;
            throw;
        }

        _lastWriteTick = _ticks;
        NudgeDependents();
    }

    private void EnsureTimer(TimeSpan due) =>
        _timer ??= this.RegisterGrainTimer(TickAsync, new GrainTimerCreationOptions { DueTime = due, Period = TickPeriod, KeepAlive = true });

    private void StopTimer()
    {
        _timer?.Dispose();
        _timer = null;
    }

    /// <summary>Counts this activation's array in the open arrays gauge, once.</summary>
    private void Open()
    {
        if (!_open && Record.Template is { } template)
        {
            _open = true;
            metrics.ArrayOpen(template.OriginHub, +1);
        }
    }

    private void Close()
    {
        if (_open && Record.Template is { } template)
        {
            _open = false;
            metrics.ArrayOpen(template.OriginHub, -1);
        }
    }

    private JobArraySnapshot Snapshot()
    {
        var book = _book!;
        var (rejected, submitted) = book.Tally();
        return new JobArraySnapshot(ArrayId, Record.Template!, Record.Count, Record.SubmittedAt, VisibleCounts(book), submitted, rejected, Record.Cancelled, _version);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Job array {ArrayId} of {Tenant} accepted with {Count} elements")]
    private static partial void LogSubmitted(ILogger logger, string arrayId, string tenant, int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Element {Index} of job array {ArrayId} refused ({Refusal}): {Errors}")]
    private static partial void LogElementRefused(ILogger logger, string arrayId, int index, SubmitRefusal refusal, string errors);

    [LoggerMessage(Level = LogLevel.Warning, Message = "A call to element {Index} of job array {ArrayId} failed; the array tries again")]
    private static partial void LogElementFailed(ILogger logger, string arrayId, int index, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Writing job array {ArrayId} failed; its next activation places again what the write held and sweeps its elements")]
    private static partial void LogWriteFailed(ILogger logger, string arrayId, Exception exception);
}
