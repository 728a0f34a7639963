namespace ComputeGrid.Domain.Jobs;

/// <summary>What a data center does about one reservation after it asked the job where it stands.</summary>
public enum ReservationVerdict
{
    /// <summary>The job holds its capacity here: keep the reservation and make sure the job is being executed.</summary>
    KeepAndRun,

    /// <summary>The job ended here but its reservation outlived it (a crash between the two writes): let the job finish its exit again.</summary>
    FinishExit,

    /// <summary>
    /// The job ended, but not here: it was placed elsewhere (or never), so this reservation is one it never recorded (a
    /// placement answer lost to a timeout, then placed again elsewhere). Its own exit never comes here: let it finish its
    /// exit wherever it ran, and release this reservation once the verdict stays the same over several passes.
    /// </summary>
    EndedElsewhere,

    /// <summary>
    /// The job does not hold capacity here (unknown, waiting, or placed elsewhere). Normal for the moment between a
    /// reservation and the job's assignment, so it is released only when the verdict stays the same over several passes.
    /// </summary>
    Suspect,
}

/// <summary>What a region does about one job it believes placed (or queued) after it asked the job where it stands.</summary>
public enum RegionVerdict
{
    /// <summary>The region's record agrees with the job's.</summary>
    Agrees,

    /// <summary>The job ended: drop the record now (its release notice was lost).</summary>
    Drop,

    /// <summary>
    /// The region placed the job from its queue but the job still reads Queued: the assignment never reached it (the call
    /// failed). Confirm the reservation and assign it again (both idempotent); when that fails, judge it as suspect.
    /// </summary>
    Reassign,

    /// <summary>
    /// The job disagrees (not holding the placement the region recorded, or queued here but holding capacity elsewhere):
    /// drop the record and drive the job on when the disagreement lasts several passes.
    /// </summary>
    Suspect,
}

/// <summary>
/// The pure rules of reconciliation: the job's own record is the truth about where it is; reservations, placements and
/// queue entries that disagree with it are repaired. Every rule is safe to apply any number of times.
/// </summary>
public static class Reconciliation
{
    /// <summary>
    /// Compares the loan slices a lender's ledger holds (<paramref name="held"/>) with the loans its record lists
    /// (<paramref name="recorded"/>). The record is the truth about which loans exist: a slice it lists that the ledger does
    /// not hold is <c>Missing</c> (the record was written and the ledger was not: capacity lent but still free for the
    /// lender's own jobs), and a slice held for a loan the record no longer lists is <c>Stray</c> (capacity held for
    /// nobody). Both come from a crash between the two writes; each list is in ordinal order.
    /// </summary>
    public static (IReadOnlyList<string> Missing, IReadOnlyList<string> Stray) CompareLoanSlices(IEnumerable<string> held, IEnumerable<string> recorded)
    {
        var heldSet = held.ToHashSet(StringComparer.Ordinal);
        var recordedSet = recorded.ToHashSet(StringComparer.Ordinal);
        return (
            [.. recordedSet.Where(l => !heldSet.Contains(l)).Order(StringComparer.Ordinal)],
            [.. heldSet.Where(l => !recordedSet.Contains(l)).Order(StringComparer.Ordinal)]);
    }

    /// <summary>Judges a reservation held at <paramref name="dataCenterId"/> for a job in <paramref name="state"/> (null: no such job) placed at <paramref name="placedAt"/>.</summary>
    public static ReservationVerdict JudgeReservation(string dataCenterId, JobState? state, string? placedAt) => state switch
    {
        { } s when s.IsTerminal() => placedAt == dataCenterId ? ReservationVerdict.FinishExit : ReservationVerdict.EndedElsewhere,
        { } s when s.HoldsCapacity() && placedAt == dataCenterId => ReservationVerdict.KeepAndRun,
        _ => ReservationVerdict.Suspect,
    };

    /// <summary>Judges a region's record that the job is placed at <paramref name="recordedAt"/> (null: queued in the region).</summary>
    public static RegionVerdict JudgeRegionRecord(string? recordedAt, JobState? state, string? placedAt) => state switch
    {
        null => RegionVerdict.Suspect,
        { } s when s.IsTerminal() => RegionVerdict.Drop,
        { } s when recordedAt is null => s.HoldsCapacity() ? RegionVerdict.Suspect : RegionVerdict.Agrees,
        JobState.Queued => RegionVerdict.Reassign,
        { } s when s.HoldsCapacity() => placedAt == recordedAt ? RegionVerdict.Agrees : RegionVerdict.Suspect,
        _ => RegionVerdict.Suspect,
    };

    /// <summary>
    /// The run time a simulated job has left: its declared run time less what it ran since <paramref name="startedAt"/>
    /// (all of it when it has not started), never negative.
    /// </summary>
    public static TimeSpan RemainingRunTime(TimeSpan runTime, DateTimeOffset? startedAt, DateTimeOffset now)
    {
        var ran = startedAt is { } s && now > s ? now - s : TimeSpan.Zero;
        return ran >= runTime ? TimeSpan.Zero : runTime - ran;
    }

    /// <summary>Counts consecutive suspicious passes; true when <paramref name="key"/> has been suspect for <paramref name="passes"/> passes in a row.</summary>
    public static bool Persisted(IDictionary<string, int> suspects, string key, int passes)
    {
        var count = suspects.TryGetValue(key, out var seen) ? seen + 1 : 1;
        suspects[key] = count;
        return count >= passes;
    }
}

/// <summary>
/// Which held records a reconciliation pass looks at: at most a batch of them, in turns, so that the cost of a pass is
/// bounded whatever the number held, and every record is looked at once per round (a round is held / batch passes).
/// A round is the set held when it began; records released since are skipped by the caller, records added wait for the
/// next round.
/// </summary>
public sealed class ReconcileRotation
{
    private readonly Queue<string> _round = new();

    /// <summary>Records left in the current round.</summary>
    public int Remaining => _round.Count;

    /// <summary>The next at most <paramref name="batch"/> records; starts a new round from <paramref name="held"/> when the last one is done.</summary>
    public IReadOnlyList<string> Next(IEnumerable<string> held, int batch)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batch, 1);
        if (_round.Count == 0)
        {
            foreach (var key in held)
            {
                _round.Enqueue(key);
            }
        }

        var taken = new List<string>(Math.Min(batch, _round.Count));
        while (taken.Count < batch && _round.TryDequeue(out var key))
        {
            taken.Add(key);
        }

        return taken;
    }
}
