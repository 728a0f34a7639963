using ComputeGrid.Domain.Jobs;

namespace ComputeGrid.Domain.Regions;

/// <summary>What a region does next with a placed-job record a reconciliation pass looked at.</summary>
public enum AuditStep
{
    /// <summary>Nothing: the job agrees, or its disagreement has not lasted long enough yet.</summary>
    Keep,

    /// <summary>The job waits for an assignment that never reached it: reserve and assign again, then report with <see cref="PlacedJobAudit.Reassigned"/>.</summary>
    Reassign,

    /// <summary>The disagreement lasted: ask the job whether it is about to record a placement, then report with <see cref="PlacedJobAudit.Settling"/>.</summary>
    AskIfSettling,

    /// <summary>Drop the record (<see cref="PlacedJobAudit.Drop"/>).</summary>
    Drop,
}

/// <summary>
/// A region's reconciliation of the jobs it believes placed with the jobs themselves (the job's record is the truth): the
/// round-robin of records per pass and the suspects, the records that disagreed in earlier passes. A placement whose
/// job ended is dropped at once (its release notice was lost); one the job does not hold is dropped once it disagreed for
/// the configured number of passes in a row and the job is not about to record it; a job left waiting by it (a crash
/// between the placement and its assignment, or its preemption and requeue) goes back into the queue.
/// </summary>
public sealed class PlacedJobAudit(RegionBook book, int passes)
{
    private readonly Dictionary<string, int> _suspects = new(StringComparer.Ordinal);
    private readonly ReconcileRotation _rotation = new();

    /// <summary>The records now suspect, with the passes they disagreed in a row.</summary>
    public IReadOnlyDictionary<string, int> Suspects => _suspects;

    /// <summary>The placed jobs this pass looks at (at most <paramref name="batch"/>); suspects no longer placed are forgotten.</summary>
    public IReadOnlyList<string> NextTurn(int batch)
    {
        foreach (var gone in _suspects.Keys.Where(k => !book.Placed.ContainsKey(k)).ToList())
        {
            _suspects.Remove(gone);
        }

        return [.. _rotation.Next(book.Placed.Keys, batch).Where(book.Placed.ContainsKey)];
    }

    /// <summary>Judges a placed-job record against its job (<paramref name="state"/> null: no such job) placed at <paramref name="placedAt"/>.</summary>
    public AuditStep Judge(string jobId, JobState? state, string? placedAt)
    {
        var recordedAt = book.Placed.TryGetValue(jobId, out var placed) ? placed.Placement.DataCenterId : null;
        return Reconciliation.JudgeRegionRecord(recordedAt, state, placedAt) switch
        {
            RegionVerdict.Agrees => Forget(jobId, AuditStep.Keep),
            RegionVerdict.Drop => Forget(jobId, AuditStep.Drop),
            RegionVerdict.Reassign => AuditStep.Reassign,
            _ => Suspect(jobId),
        };
    }

    /// <summary>The outcome of a reassignment: done, or judged as a suspect.</summary>
    public AuditStep Reassigned(string jobId, bool done) => done ? Forget(jobId, AuditStep.Keep) : Suspect(jobId);

    /// <summary>
    /// The job's answer to whether it is about to record a placement (null: it did not answer): if it is, or it did not
    /// answer, the record is judged again from the start; if not, it is dropped.
    /// </summary>
    public AuditStep Settling(string jobId, bool? settling) => Forget(jobId, settling is false ? AuditStep.Drop : AuditStep.Keep);

    /// <summary>
    /// Drops the record of a job in <paramref name="state"/> (null: no such job). A job nobody holds now that is not
    /// finished goes back into the queue, written with the pass (queue before placed jobs), so that a lost one-way call
    /// cannot leave it waiting where no region would place it (a gang's member excepted: its gang places it). True when the job must be driven (so a Pending one records
    /// that it waits: its call finds the queue entry).
    /// </summary>
    public bool Drop(string jobId, JobState? state, JobSpec? spec, DateTimeOffset now)
    {
        _suspects.Remove(jobId);
        book.Unplace(jobId);
        // A gang member never waits on its own: its gang hears of the member and places the gang again whole.
        if (state is not { } s || spec is null || s.IsTerminal() || s.HoldsCapacity() || spec.IsGangMember)
        {
            return false;
        }

        if (!book.Queue.ContainsKey(jobId))
        {
            book.Enqueue(jobId, spec, now);
        }

        return true;
    }

    private AuditStep Suspect(string jobId) =>
        Reconciliation.Persisted(_suspects, jobId, passes) ? AuditStep.AskIfSettling : AuditStep.Keep;

    private AuditStep Forget(string jobId, AuditStep step)
    {
        _suspects.Remove(jobId);
        return step;
    }
}
