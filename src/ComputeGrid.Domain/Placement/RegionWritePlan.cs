namespace ComputeGrid.Domain.Placement;

/// <summary>One storage write of a region, in the order <see cref="RegionWritePlan.For"/> gives.</summary>
public enum RegionWrite
{
    /// <summary>The record: the queue's next sequence number and the loans (written first: sequence numbers are never reused).</summary>
    Record,

    /// <summary>The shards of the queue that changed.</summary>
    Queue,

    /// <summary>The shards of the placed jobs that changed.</summary>
    Placed,
}

/// <summary>
/// The crash-safe order of a region's writes. The queue and the placed jobs are two maps in separate shards, so moving a
/// job between them takes two writes, and a crash can fall between them: the map a job enters is written before the map
/// it leaves, so a crash leaves the job in both maps (which <see cref="Settle"/> resolves), never in neither (a job
/// nobody would ever place again).
/// </summary>
public static class RegionWritePlan
{
    /// <summary>
    /// The writes for one turn's changes, in order. One turn moves jobs one way only (a queue pass places queued jobs; a
    /// requeue or a reconciliation puts placed jobs back in the queue); moves both ways in one write have no safe order
    /// and are refused.
    /// </summary>
    public static IReadOnlyList<RegionWrite> For(bool recordChanged, bool movedToPlaced, bool movedToQueue)
    {
        if (movedToPlaced && movedToQueue)
        {
            throw new InvalidOperationException("one write cannot move jobs both into and out of the queue: no order of the two maps keeps every job in one of them");
        }

        List<RegionWrite> steps = recordChanged ? [RegionWrite.Record] : [];
        steps.AddRange(movedToPlaced ? [RegionWrite.Placed, RegionWrite.Queue] : [RegionWrite.Queue, RegionWrite.Placed]);
        return steps;
    }

    /// <summary>
    /// What a region keeps of a job found in both maps (a crash between the two writes of a move into the placed jobs):
    /// the placement, the newer record; the job is assigned again by reconciliation if it never heard of it.
    /// </summary>
    public static (bool Queued, bool Placed) Settle(bool queued, bool placed) => placed ? (false, true) : (queued, false);
}
