using ComputeGrid.Contracts;
using ComputeGrid.Contracts.JobArrays;
using ComputeGrid.Contracts.Jobs;
using ComputeGrid.Domain;
using ComputeGrid.Domain.JobArrays;
using ComputeGrid.Domain.Jobs;
using ComputeGrid.Grains.Hosting;
using ComputeGrid.Grains.Jobs;
using ComputeGrid.Grains.Telemetry;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ComputeGrid.Grains.JobArrays;

/// <summary>
/// One job array. It is acknowledged once its record is durable and its first element accepted; then its timer submits
/// the other elements through their own <see cref="IJobGrain"/>s, a slice per turn with a bounded number in flight (the
/// region's placement batcher groups them), and persists which have become jobs, so an activation after a crash goes on
/// from there (submitting an element again is harmless: job submission is idempotent by id). Elements report each
/// transition one-way; a slow sweep re-reads the elements that have not ended, so a lost report is repaired and the
/// counts become exact. A reminder wakes the array after a restart of the whole cluster until every element has ended.
/// </summary>
internal sealed partial class JobArrayGrain(
    [PersistentState("jobArray", GridStorage.Name)] IPersistentState<JobArrayRecord> state,
    GridClock clock,
    GridMetrics metrics,
    IOptions<ComputeGridOptions> options,
    ILogger<JobArrayGrain> logger) : Grain, IJobArrayGrain, IRemindable
{
    /// <summary>Element calls in flight at once.</summary>
    private const int InFlight = 256;

    /// <summary>Most elements one timer turn submits, cancels or sweeps, so that other calls get their turn between slices.</summary>
    private const int Slice = 4096;

    private const string WakeReminder = "wake";
    private static readonly TimeSpan TickPeriod = TimeSpan.FromMilliseconds(100);

    /// <summary>Element reports are written at most every this many timer turns (1 s).</summary>
    private const int WriteEveryTicks = 10;

    private ElementStates? _book;
    private IGrainTimer? _timer;
    private long _version;
    private bool _dirty;
    private long _ticks;
    private long _lastWriteTick;
    private int _sweepFrom = -1;
    private long _nextSweepTick;

    private string ArrayId => this.GetPrimaryKeyString();

    private JobArrayRecord Record => state.State;

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        if (Record.Template is not null)
        {
            _book = new ElementStates(Record.Codes, Record.Sequences);
            if (!_book.AllEnded)
            {
                // Reports sent since the last write died with the previous activation: sweep the elements at once.
                _sweepFrom = 0;
                EnsureTimer();
            }
        }

        return Task.CompletedTask;
    }

    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        // A refused array holds nothing (its record was cleared): there is nothing to write.
        if (_dirty && _book is not null)
        {
            try
            {
                await WriteAsync(cancellationToken);
            }
            catch (Exception e) when (e is TimeoutException or OrleansException or OperationCanceledException or InvalidOperationException)
            {
                // The next activation sweeps the elements and finds what this write would have held.
                LogWriteFailed(logger, ArrayId, e);
            }
        }
    }

    public Task ReceiveReminder(string reminderName, TickStatus status)
    {
        if (_book is { AllEnded: false })
        {
            EnsureTimer();
        }

        return Task.CompletedTask;
    }

    public async Task<JobArraySubmitResult> SubmitAsync(JobSpec template, int count, CancellationToken cancellationToken = default)
    {
        if (Record.Template is { } existing)
        {
            return JobSpecs.AreSame(existing, template) && Record.Count == count
                ? JobArraySubmitResult.Accepted(Snapshot())
                : JobArraySubmitResult.Refused(SubmitRefusal.Conflict, [new ValidationError("arrayId", $"array '{ArrayId}' already exists with a different specification or size")]);
        }

        var errors = JobArrayRules.Validate(template, count);
        if (ArrayId.Length > JobArrayRules.MaxArrayIdLength)
        {
            errors.Add(new ValidationError("arrayId", $"must be at most {JobArrayRules.MaxArrayIdLength} characters"));
        }

        if (errors.Count == 0)
        {
            errors.AddRange(JobSpecRules.ValidateShape(JobArrayRules.ElementSpec(template, ArrayId, 0)));
        }

        if (errors.Count > 0)
        {
            return JobArraySubmitResult.Refused(SubmitRefusal.Invalid, errors);
        }

        _book = new ElementStates(count);
        Record.Template = template;
        Record.Count = count;
        Record.SubmittedAt = clock.Now;
        await WriteAsync(cancellationToken);

        // The first element answers for all: one that can never run refuses the whole array, which is then forgotten.
        var first = await SubmitElementAsync(0, cancellationToken);
        if (first is { Refusal: not SubmitRefusal.None })
        {
            await state.ClearStateAsync(cancellationToken);
            state.State = new JobArrayRecord();
            _book = null;
            _dirty = false;
            return JobArraySubmitResult.Refused(first.Refusal, first.Errors);
        }

        ScheduleNextSweep();
        metrics.ArraySubmitted(template.OriginHub, count, ArrayId);
        LogSubmitted(logger, ArrayId, template.Tenant, count);
        await this.RegisterOrUpdateReminder(WakeReminder, options.Value.WakeReminderPeriod, options.Value.WakeReminderPeriod, cancellationToken);
        EnsureTimer();
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

        var elements = new List<JobArrayElement>(Math.Clamp(limit, 1, 500));
        int? next = null;
        for (var i = Math.Max(0, from); i < book.Count; i++)
        {
            if (wanted is { } s && book.StateOf(i) != s)
            {
                continue;
            }

            if (elements.Count == limit)
            {
                next = i;
                break;
            }

            elements.Add(new JobArrayElement(i, JobArrayRules.ElementId(ArrayId, i), book.StateOf(i), book.IsJob(i)));
        }

        return Task.FromResult<JobArrayElementPage?>(new JobArrayElementPage(elements, next));
    }

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
            for (var i = 0; i < book.Count; i++)
            {
                Changed(book.Mark(i, ElementCode.Withdrawn));
            }

            await WriteAsync(cancellationToken);
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
            EnsureTimer();
        }

        return Snapshot();
    }

    public Task OnElementChangedAsync(int index, JobState jobState, int sequence)
    {
        if (_book is { } book && Changed(book.Apply(index, jobState, sequence)))
        {
            EnsureTimer();
        }

        return Task.CompletedTask;
    }

    /// <summary>One timer turn: a slice of submissions, cancels or sweeps, then a write when something changed.</summary>
    private async Task TickAsync(CancellationToken cancellationToken)
    {
        if (_book is not { } book)
        {
            StopTimer();
            return;
        }

        _ticks++;
        if (Record.Cancelled)
        {
            await CancelSliceAsync(cancellationToken);
        }
        else if (book.Unsubmitted > 0)
        {
            await SubmitSliceAsync(book, cancellationToken);
            await WriteAsync(cancellationToken);
        }
        else if (_sweepFrom >= 0 || _ticks >= _nextSweepTick)
        {
            await SweepSliceAsync(book, cancellationToken);
        }

        if (_dirty && (book.AllEnded || _ticks - _lastWriteTick >= WriteEveryTicks))
        {
            await WriteAsync(cancellationToken);
        }

        if (book.AllEnded && !_dirty)
        {
            StopTimer();
            if (await this.GetReminder(WakeReminder, cancellationToken) is { } reminder)
            {
                await this.UnregisterReminder(reminder, cancellationToken);
            }
        }
    }

    private async Task SubmitSliceAsync(ElementStates book, CancellationToken cancellationToken)
    {
        var indexes = new List<int>(Slice);
        for (var i = 0; i < book.Count && indexes.Count < Slice; i++)
        {
            if (book.CodeOf(i) == (byte)ElementCode.Unsubmitted)
            {
                indexes.Add(i);
            }
        }

        await ForEachAsync(indexes, i => SubmitElementAsync(i, cancellationToken), cancellationToken);
    }

    /// <summary>Submits one element and records the answer; null when the call failed (the element stays unsubmitted and is tried again).</summary>
    private async Task<SubmitResult?> SubmitElementAsync(int index, CancellationToken cancellationToken)
    {
        var jobId = JobArrayRules.ElementId(ArrayId, index);
        try
        {
            var result = await GrainFactory.GetGrain<IJobGrain>(jobId).SubmitAsync(JobArrayRules.ElementSpec(Record.Template!, ArrayId, index), cancellationToken);
            if (result is { Refusal: SubmitRefusal.None, Job: { } job })
            {
                Changed(_book!.Apply(index, job.State, job.History.Count));
            }
            else
            {
                Changed(_book!.Mark(index, ElementCode.Rejected));
                LogElementRefused(logger, ArrayId, index, result.Refusal, string.Join("; ", result.Errors));
            }

            return result;
        }
        catch (Exception e) when (e is TimeoutException or OrleansException)
        {
            LogElementFailed(logger, ArrayId, index, e);
            return null;
        }
    }

    /// <summary>Cancels a slice of the elements that are jobs and have not ended; the number it tried.</summary>
    private async Task<int> CancelSliceAsync(CancellationToken cancellationToken)
    {
        var book = _book!;
        var indexes = new List<int>(Slice);
        for (var i = 0; i < book.Count && indexes.Count < Slice; i++)
        {
            if (book.IsJob(i) && !book.StateOf(i).IsTerminal())
            {
                indexes.Add(i);
            }
        }

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

    /// <summary>Re-reads a slice of the elements that have not ended, repairing what a lost report left behind.</summary>
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

    private async Task WriteAsync(CancellationToken cancellationToken)
    {
        Record.Codes = _book!.Codes;
        Record.Sequences = _book.Sequences;
        _dirty = false;
        try
        {
            await state.WriteStateAsync(cancellationToken);
        }
        catch
        {
            // The next activation reads what storage holds and sweeps the elements for the rest.
            _dirty = true;
            DeactivateOnIdle();
            throw;
        }

        _lastWriteTick = _ticks;
    }

    private void EnsureTimer() =>
        _timer ??= this.RegisterGrainTimer(TickAsync, new GrainTimerCreationOptions { DueTime = TickPeriod, Period = TickPeriod, KeepAlive = true });

    private void StopTimer()
    {
        _timer?.Dispose();
        _timer = null;
    }

    private JobArraySnapshot Snapshot()
    {
        var book = _book!;
        var rejected = 0;
        var submitted = 0;
        for (var i = 0; i < book.Count; i++)
        {
            rejected += book.CodeOf(i) == (byte)ElementCode.Rejected ? 1 : 0;
            submitted += book.IsJob(i) ? 1 : 0;
        }

        return new JobArraySnapshot(ArrayId, Record.Template!, Record.Count, Record.SubmittedAt, book.Counts, submitted, rejected, Record.Cancelled, _version);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Job array {ArrayId} of {Tenant} accepted with {Count} elements")]
    private static partial void LogSubmitted(ILogger logger, string arrayId, string tenant, int count);

    [LoggerMessage(Level = LogLevel.Information, Message = "Job array {ArrayId} cancelled: {Reason}")]
    private static partial void LogCancelled(ILogger logger, string arrayId, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Element {Index} of job array {ArrayId} refused ({Refusal}): {Errors}")]
    private static partial void LogElementRefused(ILogger logger, string arrayId, int index, SubmitRefusal refusal, string errors);

    [LoggerMessage(Level = LogLevel.Warning, Message = "A call to element {Index} of job array {ArrayId} failed; the array tries again")]
    private static partial void LogElementFailed(ILogger logger, string arrayId, int index, Exception exception);

    [LoggerMessage(Level = LogLevel.Information, Message = "Job array {ArrayId}: the rest of its elements are cancelled by its timer")]
    private static partial void LogCancelBudgetSpent(ILogger logger, string arrayId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Writing job array {ArrayId} failed; its next activation sweeps its elements")]
    private static partial void LogWriteFailed(ILogger logger, string arrayId, Exception exception);
}
