using ComputeGrid.Domain.Accounting;
using ComputeGrid.Domain.Jobs;
using ComputeGrid.Domain.Loans;
using ComputeGrid.Domain.Reservations;
using ComputeGrid.Domain.Resources;
using ComputeGrid.Domain.Topology;

namespace ComputeGrid.Domain.Capacity;

/// <summary>What a data center answers to one reservation ask.</summary>
public enum ReserveVerdict
{
    /// <summary>Reserved now.</summary>
    Reserved,

    /// <summary>The job already holds the same reservation (an idempotent retry).</summary>
    AlreadyReserved,

    /// <summary>Not enough free capacity.</summary>
    Insufficient,

    /// <summary>The job holds a reservation of other resources.</summary>
    Conflict,

    /// <summary>The data center takes no new work (not Online, retired or unknown).</summary>
    NotAccepting,

    /// <summary>The asking hub is not this data center's own and holds no open loan slice here.</summary>
    NoLoan,

    /// <summary>The advance reservation the job names has no window here, or it is another tenant's.</summary>
    NoReservation,
}

/// <summary>One reservation decision, with the free capacity and the status the asker should cache.</summary>
/// <param name="Verdict">The answer.</param>
/// <param name="Free">Free capacity after it (of the loan's slice, for a borrowed job).</param>
/// <param name="Status">The data center's status.</param>
public sealed record ReserveDecision(ReserveVerdict Verdict, ResourceVector Free, DataCenterStatus Status)
{
    /// <summary>True when the decision changed the book (it must be written before it is answered).</summary>
    public bool Changed => Verdict == ReserveVerdict.Reserved;
}

/// <summary>Something a data center must do once the change that caused it is durable.</summary>
public abstract record DataCenterIntent;

/// <summary>Tell every hub the data center's capacity is free again (own capacity, or a whole slice, came back).</summary>
public sealed record AnnounceFreed : DataCenterIntent;

/// <summary>Tell the borrowing hub there is room again in its loan's slice.</summary>
/// <param name="HubId">The borrower.</param>
public sealed record TellBorrower(string HubId) : DataCenterIntent;

/// <summary>Tell the loan a borrowed job ended and what it used (its settlement).</summary>
/// <param name="LoanId">The loan.</param>
/// <param name="JobId">The borrowed job.</param>
/// <param name="Resources">What it held inside the slice.</param>
public sealed record SettleBorrowedJob(string LoanId, string JobId, ResourceRequest Resources) : DataCenterIntent;

/// <summary>Tell the loan its slice here is empty and back with the data center.</summary>
/// <param name="LoanId">The loan.</param>
public sealed record SliceReturned(string LoanId) : DataCenterIntent;

/// <summary>Preempt borrowed jobs (a recall that does not wait for them).</summary>
/// <param name="JobIds">The jobs.</param>
public sealed record PreemptBorrowed(IReadOnlyList<string> JobIds) : DataCenterIntent;

/// <summary>What closing a loan's slice did.</summary>
/// <param name="Returned">True when the slice is gone and its capacity back with the data center.</param>
/// <param name="Changed">True when the book changed (write before answering).</param>
/// <param name="Intents">What to do once durable.</param>
public sealed record CloseDecision(bool Returned, bool Changed, IReadOnlyList<DataCenterIntent> Intents);

/// <summary>One storage write of a data center, in the order <see cref="DataCenterBook.WritePlan"/> gives.</summary>
public enum DataCenterWrite
{
    /// <summary>The record: spec, status, accounting and the loan slices (its ETag fences the whole data center).</summary>
    Record,

    /// <summary>The reservation shards that changed (own reservations and each slice's one reservation).</summary>
    ReservationShards,

    /// <summary>
    /// The shards of the jobs' bounded runs that changed. Written last: a crash before it leaves a reservation without a
    /// known end, which counts as holding for ever (more refusals, never a broken window); a bound left for a job no longer
    /// held is ignored and dropped on the next activation (<see cref="DataCenterBook.RepairBoundedRuns"/>).
    /// </summary>
    BoundedRunShards,
}

/// <summary>
/// One data center's capacity book: its ledger of own reservations, its loans' typed slices, its status and what it ran.
/// It is the only authority over the data center's capacity and makes every capacity decision; the grain loads it,
/// applies a call, writes it by <see cref="WritePlan"/>, answers, then carries out the returned intents. It never
/// over-commits: a slice is one reservation in the ledger, and borrowed jobs reserve inside their slice.
/// </summary>
/// <remarks>
/// The book changes in memory and is never rolled back by hand: a write that fails discards the whole activation (the
/// next one loads what storage holds), so in-memory changes that never became durable are never acted on.
/// </remarks>
public sealed partial class DataCenterBook
{
    /// <summary>The key prefix of a loan slice's reservation in the own ledger.</summary>
    public const string SlicePrefix = "loan:";

    private readonly IDictionary<string, ResourceRequest> _reservations;
    private CapacityLedger _ledger;

    /// <summary>
    /// A book over restored state: <paramref name="reservations"/> and <paramref name="slices"/> are kept (not copied), so
    /// the owner persists exactly what the book changed.
    /// </summary>
    public DataCenterBook(
        string id,
        DataCenterSpec? spec,
        DataCenterStatus status,
        bool retired,
        IDictionary<string, ResourceRequest> reservations,
        IDictionary<string, HeldSlice> slices,
        IDictionary<string, AdvanceWindow>? windows = null,
        IDictionary<string, DateTimeOffset>? runsUntil = null)
    {
        Windows = windows ?? new Dictionary<string, AdvanceWindow>(StringComparer.Ordinal);
        _runsUntil = runsUntil ?? new Dictionary<string, DateTimeOffset>(StringComparer.Ordinal);
        Id = id;
        Spec = spec;
        Status = status;
        Retired = retired;
        _reservations = reservations;
        Slices = slices;
        _ledger = new CapacityLedger(spec?.Capacity ?? ResourceVector.Zero, reservations);
    }

    /// <summary>
    /// The order of a data center's writes. The record goes first, so it is the truth about which slices exist: a crash
    /// after it leaves shards that <see cref="RepairSlices"/> makes agree on the next activation. A reservation whose
    /// shard was not written was never answered, so nobody acts on it.
    /// </summary>
    public static IReadOnlyList<DataCenterWrite> WritePlan { get; } = [DataCenterWrite.Record, DataCenterWrite.ReservationShards, DataCenterWrite.BoundedRunShards];

    /// <summary>The data center's id.</summary>
    public string Id { get; }

    /// <summary>Its registration; null before it is configured.</summary>
    public DataCenterSpec? Spec { get; private set; }

    /// <summary>Online, Draining or Offline.</summary>
    public DataCenterStatus Status { get; private set; }

    /// <summary>True once retired.</summary>
    public bool Retired { get; private set; }

    /// <summary>Offline because its agents went silent (back by itself when one syncs), not by an operator's hand.</summary>
    public bool OfflineBySilence { get; private set; }

    /// <summary>What the jobs that ended here used.</summary>
    public Footprint Executed { get; private set; }

    /// <summary>How many jobs ended here.</summary>
    public long JobsFinished { get; private set; }

    /// <summary>Loan slices held here, by loan id.</summary>
    public IDictionary<string, HeldSlice> Slices { get; }

    /// <summary>Configured and not retired.</summary>
    public bool Exists => Spec is not null && !Retired;

    /// <summary>The own ledger: own jobs and one reservation per loan slice.</summary>
    public CapacityLedger Ledger => _ledger;

    /// <summary>Restores the accounting and the silence flag (they live beside the book's other state in storage).</summary>
    public void Restore(Footprint executed, long jobsFinished, bool offlineBySilence)
    {
        Executed = executed;
        JobsFinished = jobsFinished;
        OfflineBySilence = offlineBySilence;
    }

    /// <summary>Registers or updates the data center; a capacity below what is reserved is refused.</summary>
    public ValidationError? Configure(DataCenterSpec spec)
    {
        if (spec.Id != Id)
        {
            return new ValidationError("id", $"spec id '{spec.Id}' does not match data center '{Id}'");
        }

        if (!_ledger.TryResize(spec.Capacity))
        {
            return new ValidationError("capacity", $"current reservations ({_ledger.Used}) exceed the new capacity ({spec.Capacity})");
        }

        if (!Exists)
        {
            Status = DataCenterStatus.Online;
        }

        Spec = spec;
        Retired = false;
        return null;
    }

    /// <summary>Sets the status by an operator's hand; true when it changed.</summary>
    public bool SetStatus(DataCenterStatus status)
    {
        if (Status == status)
        {
            return false;
        }

        Status = status;
        OfflineBySilence = false;
        return true;
    }

    /// <summary>All its agents went silent: Offline until one syncs. True when it changed.</summary>
    public bool GoSilent()
    {
        if (Status == DataCenterStatus.Offline)
        {
            return false;
        }

        Status = DataCenterStatus.Offline;
        OfflineBySilence = true;
        return true;
    }

    /// <summary>An agent synced: Online again if silence (not an operator) took it Offline. True when it changed.</summary>
    public bool HearAgent()
    {
        if (Status != DataCenterStatus.Offline || !OfflineBySilence)
        {
            return false;
        }

        Status = DataCenterStatus.Online;
        OfflineBySilence = false;
        return true;
    }

    /// <summary>Retires it; refused while any job or loan holds capacity here.</summary>
    public ValidationError? Retire()
    {
        if (Windows.Count > 0)
        {
            return new ValidationError("dataCenterId", $"{Windows.Count} advance reservations still have windows in '{Id}'; cancel them or wait for them to end");
        }

        if (_ledger.Reservations.Count > 0)
        {
            return new ValidationError("dataCenterId", $"{_ledger.Reservations.Count} jobs or loans still hold capacity in '{Id}'; drain it and wait for them to finish");
        }

        Retired = true;
        return null;
    }

    /// <summary>
    /// Reserves for a job placed by <paramref name="hubId"/>: from own capacity for the own hub, inside an open slice of
    /// <paramref name="loanId"/> for its borrower. Idempotent by job id; a retry is answered even when the data center no
    /// longer takes new work. A new own job whose bounded run (until <paramref name="boundedEnd"/>; null: unknown, for
    /// ever) would take capacity an advance reservation's window needs is refused (Insufficient).
    /// </summary>
    public ReserveDecision Reserve(string jobId, ResourceRequest resources, string hubId, string? loanId, int priority, DateTimeOffset now = default, DateTimeOffset? boundedEnd = null)
    {
        if (!Exists)
        {
            return new ReserveDecision(ReserveVerdict.NotAccepting, ResourceVector.Zero, DataCenterStatus.Offline);
        }

        if (WindowHolding(jobId) is { } window)
        {
            // Placed inside an advance reservation: a repeat of its placement is answered from there.
            return new ReserveDecision(ToVerdict(window.Ledger().Reserve(jobId, resources)), _ledger.Free, Status);
        }

        if (loanId is not null)
        {
            return ReserveOnLoan(jobId, resources, hubId, loanId, priority);
        }

        if (hubId != Spec!.HubId)
        {
            return new ReserveDecision(ReserveVerdict.NoLoan, ResourceVector.Zero, Status);
        }

        if (Status != DataCenterStatus.Online && !_ledger.Reservations.ContainsKey(jobId))
        {
            return new ReserveDecision(ReserveVerdict.NotAccepting, _ledger.Free, Status);
        }

        if (!_ledger.Reservations.ContainsKey(jobId) && IntrudesOnWindows(resources, now, boundedEnd))
        {
            return new ReserveDecision(ReserveVerdict.Insufficient, _ledger.Free, Status);
        }

        var verdict = ToVerdict(_ledger.Reserve(jobId, resources));
        if (verdict == ReserveVerdict.Reserved && boundedEnd is { } until)
        {
            _runsUntil[jobId] = until;
        }

        return new ReserveDecision(verdict, _ledger.Free, Status);
    }

    /// <summary>Releases a job's capacity once and books what it used; null when it holds none here (a repeat).</summary>
    public IReadOnlyList<DataCenterIntent>? Release(string jobId, Footprint executed)
    {
        if (_ledger.Release(jobId))
        {
            _runsUntil.Remove(jobId);
            Book(executed);
            return [new AnnounceFreed()];
        }

        if (ReleaseFromWindow(jobId))
        {
            Book(executed);
            return [new AnnounceFreed()];
        }

        if (Slices.FirstOrDefault(l => l.Value.Reservations.ContainsKey(jobId)) is not { Key: { } loanId, Value: { } slice })
        {
            return null;
        }

        var resources = slice.Reservations[jobId];
        slice.Reservations.Remove(jobId);
        slice.Priorities.Remove(jobId);
        Book(executed);
        List<DataCenterIntent> intents = [new SettleBorrowedJob(loanId, jobId, resources)];
        if (slice.State == SliceState.Closing && slice.Reservations.Count == 0)
        {
            Drop(loanId);
            intents.Add(new SliceReturned(loanId));
            intents.Add(new AnnounceFreed());
        }
        else
        {
            // The borrower may have more work for the room this job left in its loan.
            intents.Add(new TellBorrower(slice.Borrower));
        }

        return intents;
    }

    /// <summary>
    /// Holds up to <paramref name="amount"/> of free capacity for an offered loan (one GPU model: the one asked for most
    /// that is free here). Idempotent by loan id; nothing for a data center that is not Online or for its own hub.
    /// </summary>
    /// <remarks>
    /// With advance reservations, it holds only what stays free of their windows until <paramref name="until"/> (the
    /// loan's term; null: for ever), so no window needs capacity lent for a term that overlaps it.
    /// </remarks>
    public ResourceVector HoldForLoan(string loanId, string borrower, ResourceVector amount, out bool changed, DateTimeOffset now = default, DateTimeOffset? until = null)
    {
        changed = false;
        if (Slices.TryGetValue(loanId, out var existing))
        {
            return existing.State == SliceState.Closing ? ResourceVector.Zero : existing.Ledger().Capacity;
        }

        if (!Exists || Status != DataCenterStatus.Online || borrower == Spec!.HubId)
        {
            return ResourceVector.Zero;
        }

        var free = LendableUntil(now, until);
        var model = amount.Gpus.Where(g => free.GpusOf(g.Key) > 0).OrderByDescending(g => Math.Min(g.Value, free.GpusOf(g.Key))).Select(g => g.Key).FirstOrDefault();
        var hold = new ResourceRequest(
            Math.Min(amount.CpuMillicores, free.CpuMillicores),
            Math.Min(amount.MemoryMiB, free.MemoryMiB),
            model is null ? 0 : Math.Min(amount.GpusOf(model), free.GpusOf(model)),
            model);
        if (hold.CpuMillicores <= 0 || hold.MemoryMiB <= 0 || _ledger.Reserve(SliceKey(loanId), hold) != ReserveOutcome.Reserved)
        {
            return ResourceVector.Zero;
        }

        var slice = new HeldSlice(borrower, hold);
        Slices[loanId] = slice;
        changed = true;
        return slice.Ledger().Capacity;
    }

    /// <summary>Opens a held slice to the borrower's jobs; true when it changed.</summary>
    public bool OpenLoan(string loanId)
    {
        if (!Slices.TryGetValue(loanId, out var slice) || slice.State != SliceState.Held)
        {
            return false;
        }

        slice.State = SliceState.Open;
        return true;
    }

    /// <summary>
    /// Closes a loan's slice to new jobs. An empty slice goes back at once; one with jobs is Closing until its last job
    /// ends, and with <paramref name="preempt"/> its jobs are preempted. Idempotent.
    /// </summary>
    public CloseDecision CloseLoan(string loanId, bool preempt)
    {
        if (!Slices.TryGetValue(loanId, out var slice))
        {
            return new CloseDecision(true, false, []);
        }

        if (slice.Reservations.Count == 0)
        {
            Drop(loanId);
            return new CloseDecision(true, true, [new AnnounceFreed()]);
        }

        var changed = slice.State != SliceState.Closing;
        slice.State = SliceState.Closing;
        return new CloseDecision(false, changed, preempt ? [new PreemptBorrowed([.. slice.Reservations.Keys])] : []);
    }

    /// <summary>True when a slice does not agree with its loan's state (see <see cref="SettleWithLoan"/>).</summary>
    public bool Disagrees(string loanId, LoanState? truth) =>
        Slices.TryGetValue(loanId, out var slice) && truth switch
        {
            LoanState.Offered => false,
            LoanState.Active => slice.State == SliceState.Held,
            _ => slice.State != SliceState.Closing || slice.Reservations.Count == 0,
        };

    /// <summary>
    /// Brings a slice in line with its loan, the one source of truth (the loan's own CloseLoan call may have been lost):
    /// an accepted loan's held slice is opened; a loan that no longer takes placements (recalling, draining, ended, or
    /// unknown to the loan grain) has its slice closed to new jobs, and an empty closed slice goes back to the data center, telling the loan so it can settle.
    /// Null when the slice agrees with the loan. The caller judges a slice only after it disagreed for several passes, so
    /// a loan still being opened or accepted is not mistaken for a lost one.
    /// </summary>
    public CloseDecision? SettleWithLoan(string loanId, LoanState? truth)
    {
        if (!Disagrees(loanId, truth))
        {
            return null;
        }

        var slice = Slices[loanId];
        if (truth is LoanState.Active)
        {
            // Accepted, and the call that opens the slice was lost: the borrower's jobs would be refused forever.
            return OpenLoan(loanId) ? new CloseDecision(false, true, [new TellBorrower(slice.Borrower)]) : null;
        }

        var decision = CloseLoan(loanId, preempt: false);
        return decision.Returned ? decision with { Intents = [new SliceReturned(loanId), .. decision.Intents] } : decision;
    }

    /// <summary>
    /// Makes the ledger hold exactly the slices the book lists (the record is written first, so it is the truth): a slice
    /// listed but not held would let own jobs use lent capacity; one held but not listed would keep capacity for nobody.
    /// </summary>
    public (IReadOnlyList<string> Missing, IReadOnlyList<string> Stray) RepairSlices()
    {
        var held = _ledger.Reservations.Keys.Where(k => k.StartsWith(SlicePrefix, StringComparison.Ordinal)).Select(k => k[SlicePrefix.Length..]);
        var (missing, stray) = Reconciliation.CompareLoanSlices(held, Slices.Keys);
        foreach (var loanId in missing)
        {
            _reservations[SliceKey(loanId)] = Slices[loanId].Amount;
        }

        foreach (var loanId in stray)
        {
            _reservations.Remove(SliceKey(loanId));
        }

        if (missing.Count > 0 || stray.Count > 0)
        {
            _ledger = new CapacityLedger(Spec?.Capacity ?? ResourceVector.Zero, _reservations);
        }

        return (missing, stray);
    }

    /// <summary>True when the job holds capacity here, own or inside a slice.</summary>
    public bool Holds(string jobId) => _ledger.Reservations.ContainsKey(jobId) || Slices.Values.Any(l => l.Reservations.ContainsKey(jobId)) || WindowHolding(jobId) is not null;

    /// <summary>Every job holding capacity here: own reservations (not slices) and borrowed jobs inside the slices.</summary>
    public IReadOnlyList<string> HeldJobs() =>
        [.. _ledger.Reservations.Keys.Where(IsJobKey).Concat(Slices.Values.SelectMany(l => l.Reservations.Keys)).Concat(Windows.Values.SelectMany(w => w.Reservations.Keys))];

    /// <summary>
    /// The hub that placed a job here, known without the job: the borrower for a job inside a slice, else the own hub
    /// (only it may reserve outside a loan).
    /// </summary>
    public string PlacedBy(string jobId) =>
        Slices.Values.FirstOrDefault(l => l.Reservations.ContainsKey(jobId))?.Borrower
        ?? (WindowHolding(jobId) is { } window && window.PlacedBy.TryGetValue(jobId, out var hub) ? hub : null)
        ?? Spec!.HubId;

    /// <summary>Capacity lent out in slices.</summary>
    public ResourceVector Lent => Slices.Values.Aggregate(ResourceVector.Zero, (sum, l) => sum.Plus(l.Amount));

    /// <summary>Borrowed jobs inside the slices.</summary>
    public int BorrowedJobs => Slices.Values.Sum(l => l.Reservations.Count);

    /// <summary>Borrowed jobs holding capacity here now, by the loan whose slice they are in (loans with none left out).</summary>
    public IReadOnlyDictionary<string, int> BorrowedJobsByLoan =>
        Slices.Where(s => s.Value.Reservations.Count > 0).ToDictionary(s => s.Key, s => s.Value.Reservations.Count, StringComparer.Ordinal);

    /// <summary>Own jobs (reservations that are not slices).</summary>
    public int OwnJobs => _ledger.Reservations.Keys.Count(IsJobKey) + Windows.Values.Sum(w => w.Reservations.Count);

    /// <summary>The reservation key of a loan's slice in the own ledger.</summary>
    public static string SliceKey(string loanId) => SlicePrefix + loanId;

    private ReserveDecision ReserveOnLoan(string jobId, ResourceRequest resources, string hubId, string loanId, int priority)
    {
        if (!Slices.TryGetValue(loanId, out var slice) || slice.Borrower != hubId)
        {
            return new ReserveDecision(ReserveVerdict.NoLoan, ResourceVector.Zero, Status);
        }

        var ledger = slice.Ledger();
        if (slice.Reservations.ContainsKey(jobId))
        {
            return new ReserveDecision(ToVerdict(ledger.Reserve(jobId, resources)), ledger.Free, Status);
        }

        if (slice.State != SliceState.Open)
        {
            return new ReserveDecision(ReserveVerdict.NoLoan, ResourceVector.Zero, Status);
        }

        if (Status != DataCenterStatus.Online)
        {
            return new ReserveDecision(ReserveVerdict.NotAccepting, ledger.Free, Status);
        }

        var verdict = ToVerdict(ledger.Reserve(jobId, resources));
        if (verdict == ReserveVerdict.Reserved)
        {
            slice.Priorities[jobId] = priority;
        }

        return new ReserveDecision(verdict, ledger.Free, Status);
    }

    private void Book(Footprint executed)
    {
        Executed += executed;
        JobsFinished++;
    }

    private void Drop(string loanId)
    {
        _ledger.Release(SliceKey(loanId));
        Slices.Remove(loanId);
    }

    private static ReserveVerdict ToVerdict(ReserveOutcome outcome) => outcome switch
    {
        ReserveOutcome.Reserved => ReserveVerdict.Reserved,
        ReserveOutcome.AlreadyReserved => ReserveVerdict.AlreadyReserved,
        ReserveOutcome.Conflict => ReserveVerdict.Conflict,
        _ => ReserveVerdict.Insufficient,
    };
}
