using ComputeGrid.Domain.Loans;
using ComputeGrid.Domain.Reservations;
using ComputeGrid.Domain.Resources;
using ComputeGrid.Domain.Topology;

namespace ComputeGrid.Domain.Capacity;

/// <summary>Recall these loans (their slices hold capacity an advance reservation's window needs), with the loan's notice.</summary>
/// <param name="LoanIds">The loans.</param>
/// <param name="Reason">Why, for the loan's history.</param>
public sealed record RecallLoans(IReadOnlyList<string> LoanIds, string Reason) : DataCenterIntent;

/// <summary>Preempt own jobs that ran past their bounded end and keep a window from opening.</summary>
/// <param name="JobIds">The jobs.</param>
/// <param name="Reason">Why, for the job's history.</param>
public sealed record PreemptOverrun(IReadOnlyList<string> JobIds, string Reason) : DataCenterIntent;

/// <summary>What one pass over the windows did.</summary>
/// <param name="Changed">True when the book changed (write before acting).</param>
/// <param name="Opened">Windows opened now.</param>
/// <param name="Closed">Windows closed now (their end passed).</param>
/// <param name="Intents">What to do once durable.</param>
public sealed record WindowTick(bool Changed, IReadOnlyList<string> Opened, IReadOnlyList<string> Closed, IReadOnlyList<DataCenterIntent> Intents);

/// <summary>The advance reservations' side of a data center's book: their windows, the bounded runs they are judged against.</summary>
public sealed partial class DataCenterBook
{
    /// <summary>The key prefix of an open window's entry in the own ledger.</summary>
    public const string WindowPrefix = "reservation:";

    private readonly IDictionary<string, DateTimeOffset> _runsUntil;

    /// <summary>Advance reservations' windows here (scheduled or open), by reservation id.</summary>
    public IDictionary<string, AdvanceWindow> Windows { get; }

    /// <summary>The key of a window's entry in the own ledger.</summary>
    public static string WindowKey(string reservationId) => WindowPrefix + reservationId;

    /// <summary>
    /// Admits a window of <paramref name="amount"/> over [<paramref name="start"/>, <paramref name="end"/>) for
    /// <paramref name="tenant"/> when it can be honoured (<see cref="ReservationCalendar.Admit"/>): then it is never broken,
    /// because every job admitted afterwards is judged against it. Idempotent by reservation id. Null when admitted.
    /// </summary>
    public ValidationError? AdmitWindow(string reservationId, string tenant, ResourceRequest amount, DateTimeOffset start, DateTimeOffset end, DateTimeOffset now, out bool changed)
    {
        changed = false;
        if (!Exists)
        {
            return new ValidationError("dataCenterId", $"no data center '{Id}' (not registered, or retired)");
        }

        if (Windows.TryGetValue(reservationId, out var existing))
        {
            return existing.Tenant == tenant && existing.Amount == amount && existing.Start == start && existing.End == end
                ? null
                : new ValidationError("reservationId", $"reservation '{reservationId}' already has another window in '{Id}'");
        }

        if (Status != DataCenterStatus.Online)
        {
            return new ValidationError("dataCenterId", $"'{Id}' is {Status} and takes no new reservations");
        }

        if (end <= now)
        {
            return new ValidationError("end", "has passed");
        }

        if (ReservationCalendar.Admit(Spec!.Capacity, JobHolds(), Windows.Values, amount, start, end) is { } refusal)
        {
            return refusal with { Reason = $"'{Id}' {refusal.Reason}" };
        }

        Windows[reservationId] = new AdvanceWindow(tenant, amount, start, end);
        changed = true;
        return null;
    }

    /// <summary>
    /// Cancels a window: its capacity is free at once (the jobs still inside keep running on own capacity, which they fit:
    /// the window's entry is released first). Null when there is none (a repeat).
    /// </summary>
    public IReadOnlyList<DataCenterIntent>? CancelWindow(string reservationId)
    {
        if (!Windows.Remove(reservationId, out var window))
        {
            return null;
        }

        LetGo(reservationId, window);
        return [new AnnounceFreed()];
    }

    /// <summary>
    /// Reserves inside an open window for a job of the window's tenant that names it, whose bounded run ends by the
    /// window's end. Idempotent by job id. A window not open yet answers Insufficient (the job waits); an unknown window, or
    /// another tenant's, NoReservation.
    /// </summary>
    public ReserveDecision ReserveInWindow(string jobId, ResourceRequest resources, string reservationId, string tenant, string hubId, DateTimeOffset boundedEnd)
    {
        if (!Exists)
        {
            return new ReserveDecision(ReserveVerdict.NotAccepting, ResourceVector.Zero, DataCenterStatus.Offline);
        }

        if (WindowHolding(jobId) is { } held)
        {
            return new ReserveDecision(ToVerdict(held.Ledger().Reserve(jobId, resources)), held.Ledger().Free, Status);
        }

        if (_ledger.Reservations.ContainsKey(jobId))
        {
            return new ReserveDecision(ReserveVerdict.Conflict, _ledger.Free, Status);
        }

        if (!Windows.TryGetValue(reservationId, out var window) || window.Tenant != tenant)
        {
            return new ReserveDecision(ReserveVerdict.NoReservation, ResourceVector.Zero, Status);
        }

        var ledger = window.Ledger();
        if (window.State != WindowState.Open || boundedEnd > window.End)
        {
            return new ReserveDecision(ReserveVerdict.Insufficient, ledger.Free, Status);
        }

        var verdict = ToVerdict(ledger.Reserve(jobId, resources));
        if (verdict == ReserveVerdict.Reserved)
        {
            window.PlacedBy[jobId] = hubId;
            _runsUntil[jobId] = boundedEnd;
        }

        return new ReserveDecision(verdict, ledger.Free, Status);
    }

    /// <summary>
    /// Moves the windows on to <paramref name="now"/>: closes those whose end passed, opens those whose start came (as one
    /// entry in the own ledger; when it does not fit yet, own jobs that ran past their bounded end are preempted and it is
    /// tried again next pass), and recalls the loan slices a window opening within <paramref name="recallNotice"/> needs.
    /// </summary>
    public WindowTick TickWindows(DateTimeOffset now, TimeSpan recallNotice)
    {
        var (opened, closed, intents) = (new List<string>(), new List<string>(), new List<DataCenterIntent>());
        foreach (var (id, window) in Windows.Where(w => w.Value.End <= now).ToList())
        {
            Windows.Remove(id);
            LetGo(id, window);
            closed.Add(id);
        }

        foreach (var (id, window) in Windows.Where(w => w.Value.State == WindowState.Scheduled && w.Value.Start <= now).OrderBy(w => w.Value.Start).ToList())
        {
            if (_ledger.Reserve(WindowKey(id), window.Amount) == ReserveOutcome.Reserved)
            {
                window.State = WindowState.Open;
                opened.Add(id);
                continue;
            }

            var overrun = _ledger.Reservations.Keys.Where(k => IsJobKey(k) && _runsUntil.TryGetValue(k, out var until) && until <= now).ToList();
            if (overrun.Count > 0)
            {
                intents.Add(new PreemptOverrun(overrun, $"ran past its declared run time, into advance reservation {id}'s window in {Id}"));
            }
        }

        if (Exists && Slices.Count > 0)
        {
            var open = Slices.Where(s => s.Value.State != SliceState.Closing).ToDictionary(s => s.Key, s => s.Value.Amount, StringComparer.Ordinal);
            if (ReservationCalendar.LoansToRecall(Spec!.Capacity, JobHolds(), open, Windows.Values, now, recallNotice) is { Count: > 0 } recall)
            {
                intents.Add(new RecallLoans(recall, $"{Id} needs the capacity for an advance reservation's window"));
            }
        }

        if (opened.Count > 0 || closed.Count > 0)
        {
            // Opened: the hubs place the jobs waiting for it. Closed: its capacity is free for anyone.
            intents.Add(new AnnounceFreed());
        }

        return new WindowTick(opened.Count > 0 || closed.Count > 0, opened, closed, intents);
    }

    /// <summary>
    /// What stays free of the jobs' bounded runs and the other windows at every instant of [<paramref name="start"/>,
    /// <paramref name="end"/>) (a hub reservation's allotment asks each data center); loan slices are not counted (they
    /// are recalled for a window).
    /// </summary>
    public ResourceVector ReservableBetween(DateTimeOffset start, DateTimeOffset end) =>
        Exists && Status == DataCenterStatus.Online ? QuotaMath.ClipAtZero(ReservationCalendar.FreeBetween(Spec!.Capacity, JobHolds(), Windows.Values, start, end)) : ResourceVector.Zero;

    /// <summary>
    /// Makes the ledger hold exactly one entry per open window (the record, written first, is the truth about windows):
    /// true when it changed anything.
    /// </summary>
    public bool RepairWindows()
    {
        var held = _ledger.Reservations.Keys.Where(k => k.StartsWith(WindowPrefix, StringComparison.Ordinal)).Select(k => k[WindowPrefix.Length..]).ToList();
        var open = Windows.Where(w => w.Value.State == WindowState.Open).Select(w => w.Key).ToList();
        var missing = open.Except(held, StringComparer.Ordinal).ToList();
        var stray = held.Except(open, StringComparer.Ordinal).ToList();
        foreach (var id in missing)
        {
            _reservations[WindowKey(id)] = Windows[id].Amount;
        }

        foreach (var id in stray)
        {
            _reservations.Remove(WindowKey(id));
        }

        if (missing.Count == 0 && stray.Count == 0)
        {
            return false;
        }

        _ledger = new CapacityLedger(Spec?.Capacity ?? ResourceVector.Zero, _reservations);
        return true;
    }

    /// <summary>Drops the bounded runs of jobs no longer held here (their release's write was cut short); true when it dropped any.</summary>
    public bool RepairBoundedRuns()
    {
        var held = HeldJobs().ToHashSet(StringComparer.Ordinal);
        var stray = _runsUntil.Keys.Where(k => !held.Contains(k)).ToList();
        foreach (var jobId in stray)
        {
            _runsUntil.Remove(jobId);
        }

        return stray.Count > 0;
    }

    /// <summary>When a job's bounded run ends, if known.</summary>
    public DateTimeOffset? RunsUntil(string jobId) => _runsUntil.TryGetValue(jobId, out var until) ? until : null;

    private static bool IsJobKey(string key) => !key.StartsWith(SlicePrefix, StringComparison.Ordinal) && !key.StartsWith(WindowPrefix, StringComparison.Ordinal);

    /// <summary>Own jobs (not slices, not windows' entries) with their bounded run; one of unknown run holds for ever.</summary>
    private IEnumerable<TimedHold> JobHolds() =>
        _ledger.Reservations.Where(r => IsJobKey(r.Key)).Select(r => new TimedHold(r.Value, _runsUntil.TryGetValue(r.Key, out var until) ? until : null));

    private bool IntrudesOnWindows(ResourceRequest resources, DateTimeOffset now, DateTimeOffset? boundedEnd) =>
        Windows.Count > 0
        && ReservationCalendar.Intrudes(Spec!.Capacity, HoldsWithSlices(), Windows.Values, resources, now, boundedEnd);

    /// <summary>The own jobs' holds and every loan slice, a slice held with no known end (its loan's term is the lender's to end).</summary>
    private IEnumerable<TimedHold> HoldsWithSlices() => JobHolds().Concat(Slices.Values.Select(s => new TimedHold(s.Amount, null)));

    private ResourceVector LendableUntil(DateTimeOffset now, DateTimeOffset? until) =>
        Windows.Count == 0
            ? _ledger.Free
            : _ledger.Free.Least(QuotaMath.ClipAtZero(ReservationCalendar.FreeBetween(Spec!.Capacity, HoldsWithSlices(), Windows.Values, now, until ?? DateTimeOffset.MaxValue)));

    private AdvanceWindow? WindowHolding(string jobId) => Windows.Count == 0 ? null : Windows.Values.FirstOrDefault(w => w.Reservations.ContainsKey(jobId));

    private bool ReleaseFromWindow(string jobId)
    {
        if (WindowHolding(jobId) is not { } window)
        {
            return false;
        }

        window.Reservations.Remove(jobId);
        window.PlacedBy.Remove(jobId);
        _runsUntil.Remove(jobId);
        return true;
    }

    /// <summary>Gives a window's entry back; the jobs still inside keep running on own capacity (they fit in what was released).</summary>
    private void LetGo(string reservationId, AdvanceWindow window)
    {
        if (window.State != WindowState.Open)
        {
            return;
        }

        _ledger.Release(WindowKey(reservationId));
        foreach (var (jobId, resources) in window.Reservations)
        {
            _ledger.Reserve(jobId, resources);
        }
    }
}
