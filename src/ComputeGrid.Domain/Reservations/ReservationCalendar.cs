using ComputeGrid.Domain.Loans;
using ComputeGrid.Domain.Resources;

namespace ComputeGrid.Domain.Reservations;

/// <summary>Capacity held at a data center and until when: a job's bounded run, or (no end) a loan slice or a job of unknown run time.</summary>
/// <param name="Amount">What it holds.</param>
/// <param name="Until">When it lets go at the latest; null when that is not known (it counts as holding for ever).</param>
public readonly record struct TimedHold(ResourceRequest Amount, DateTimeOffset? Until)
{
    /// <summary>True when it still holds at <paramref name="at"/>.</summary>
    public bool HoldsAt(DateTimeOffset at) => Until is not { } until || until > at;
}

/// <summary>
/// The time rules of one data center's capacity with advance reservations (pure). Capacity in use only falls between
/// window starts (a job ends, a window closes), so the most that is in use over an interval [from, to) is reached at
/// <c>from</c> or at a window start inside it: every rule below checks exactly those instants, dimension by dimension.
/// </summary>
public static class ReservationCalendar
{
    /// <summary>
    /// What is free at every instant of [<paramref name="from"/>, <paramref name="to"/>), dimension by dimension (the
    /// least over the interval; negative when it is over-committed): the capacity less the holds still holding and the
    /// windows covering each instant.
    /// </summary>
    public static ResourceVector FreeBetween(ResourceVector capacity, IEnumerable<TimedHold> holds, IEnumerable<AdvanceWindow> windows, DateTimeOffset from, DateTimeOffset to)
    {
        var heldList = holds as IReadOnlyCollection<TimedHold> ?? [.. holds];
        var windowList = windows as IReadOnlyCollection<AdvanceWindow> ?? [.. windows];
        ResourceVector? least = null;
        foreach (var at in CheckPoints(windowList, from, to))
        {
            var used = heldList.Where(h => h.HoldsAt(at)).Aggregate(ResourceVector.Zero, (sum, h) => sum.Plus(h.Amount));
            used = windowList.Where(w => w.Covers(at)).Aggregate(used, (sum, w) => sum.Plus(w.Amount));
            var free = capacity.Minus(used);
            least = least is null ? free : least.Least(free);
        }

        return least ?? capacity;
    }

    /// <summary>
    /// Whether a new window of <paramref name="amount"/> over [<paramref name="start"/>, <paramref name="end"/>) can be
    /// honoured: at every instant of it, the other windows plus the jobs whose bounded run reaches into it plus the new one
    /// fit the capacity. Loan slices are not counted: lent capacity a window needs is recalled before it opens
    /// (<see cref="LoansToRecall"/>). Null when it can; else the reason, naming the field.
    /// </summary>
    public static ValidationError? Admit(ResourceVector capacity, IEnumerable<TimedHold> jobs, IEnumerable<AdvanceWindow> windows, ResourceRequest amount, DateTimeOffset start, DateTimeOffset end)
    {
        var free = FreeBetween(capacity, jobs, windows, start, end);
        return free.Fits(amount)
            ? null
            : new ValidationError("resources", $"cannot be honoured: at some instant of [{start:O}, {end:O}) only {QuotaMath.ClipAtZero(free)} is free of the other reservations and the jobs whose bounded run reaches into the window");
    }

    /// <summary>
    /// Whether a job of <paramref name="amount"/> holding from <paramref name="now"/> until <paramref name="boundedEnd"/>
    /// (null: it has no bound) would take capacity a window it does not belong to needs: true when, at some instant of its
    /// run, the holds (jobs and loan slices) plus the windows covering that instant plus the job exceed the capacity.
    /// </summary>
    public static bool Intrudes(ResourceVector capacity, IEnumerable<TimedHold> holds, IEnumerable<AdvanceWindow> windows, ResourceRequest amount, DateTimeOffset now, DateTimeOffset? boundedEnd) =>
        !FreeBetween(capacity, holds, windows, now, boundedEnd ?? DateTimeOffset.MaxValue).Fits(amount);

    /// <summary>
    /// The loan slices to recall now so every window opening within <paramref name="notice"/> finds its capacity: for each
    /// such window not yet open, at its start the jobs still holding, the windows covering it and the slices kept must fit
    /// the capacity; slices are recalled largest first (GPUs, then cores, then memory) until they do. A slice already
    /// closing is not listed (it comes back by itself).
    /// </summary>
    public static IReadOnlyList<string> LoansToRecall(
        ResourceVector capacity, IEnumerable<TimedHold> jobs, IReadOnlyDictionary<string, ResourceRequest> slices, IEnumerable<AdvanceWindow> windows, DateTimeOffset now, TimeSpan notice)
    {
        var jobList = jobs as IReadOnlyCollection<TimedHold> ?? [.. jobs];
        var windowList = windows as IReadOnlyCollection<AdvanceWindow> ?? [.. windows];
        var kept = slices.OrderByDescending(s => s.Value.Gpus).ThenByDescending(s => s.Value.CpuMillicores).ThenByDescending(s => s.Value.MemoryMiB).ThenBy(s => s.Key, StringComparer.Ordinal).ToList();
        var recall = new List<string>();
        foreach (var window in windowList.Where(w => w.State == WindowState.Scheduled && w.Start - notice <= now && now < w.End).OrderBy(w => w.Start))
        {
            var at = window.Start > now ? window.Start : now;
            var used = jobList.Where(j => j.HoldsAt(at)).Aggregate(ResourceVector.Zero, (sum, j) => sum.Plus(j.Amount));
            used = windowList.Where(w => w.Covers(at)).Aggregate(used, (sum, w) => sum.Plus(w.Amount));
            while (kept.Count > 0 && !capacity.Minus(kept.Aggregate(used, (sum, s) => sum.Plus(s.Value))).IsNonNegative)
            {
                recall.Add(kept[0].Key);
                kept.RemoveAt(0);
            }
        }

        return recall;
    }

    private static IEnumerable<DateTimeOffset> CheckPoints(IEnumerable<AdvanceWindow> windows, DateTimeOffset from, DateTimeOffset to) =>
        windows.Select(w => w.Start).Where(s => s > from && s < to).Prepend(from).Distinct();
}
