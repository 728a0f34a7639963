using ComputeGrid.Domain.Jobs;
using ComputeGrid.Domain.Placement;

namespace ComputeGrid.Grains.JobArrays;

/// <summary>
/// A job array's persisted state: its spec and size, and its elements' states as flat arrays (17 bytes an element): the
/// code and sequence of each, and for an element whose state the array holds, where it was placed and when.
/// </summary>
[GenerateSerializer, Alias("cg.JobArrayRecord")]
internal sealed class JobArrayRecord
{
    /// <summary>The template every element is made from; null while no array has this id.</summary>
    [Id(0)] public JobSpec? Template { get; set; }

    /// <summary>How many elements.</summary>
    [Id(1)] public int Count { get; set; }

    /// <summary>When it was accepted.</summary>
    [Id(2)] public DateTimeOffset SubmittedAt { get; set; }

    /// <summary>One <see cref="Domain.JobArrays.ElementStates"/> code per element.</summary>
    [Id(3)] public byte[] Codes { get; set; } = [];

    /// <summary>The job event sequence behind each code.</summary>
    [Id(4)] public int[] Sequences { get; set; } = [];

    /// <summary>True once the array was cancelled: nothing more is submitted and every element still running is cancelled.</summary>
    [Id(5)] public bool Cancelled { get; set; }

    /// <summary>Why it was cancelled.</summary>
    [Id(6)] public string? CancelReason { get; set; }

    /// <summary>The distinct placements of held elements (elements placed alike share one).</summary>
    [Id(7)] public List<JobPlacement> Placements { get; set; } = [];

    /// <summary>Per element: 1 + its placement's index in <see cref="Placements"/>, 0 when it was not placed while held.</summary>
    [Id(8)] public int[] PlacementRefs { get; set; } = [];

    /// <summary>Per element: when its region queued or placed it, in ms after <see cref="SubmittedAt"/>.</summary>
    [Id(9)] public int[] HeldAtMs { get; set; } = [];

    /// <summary>Per element: when it started while held, in ms after <see cref="SubmittedAt"/> plus 1; 0 when it did not.</summary>
    [Id(10)] public int[] StartedAtMs { get; set; } = [];

    /// <summary>Jobs that depend on the whole array, nudged when it reaches a point their conditions can turn on.</summary>
    [Id(11)] public List<string> Dependents { get; set; } = [];

    /// <summary>While the array's own dependencies do not hold: what it waits for (no element is submitted); null otherwise.</summary>
    [Id(12)] public string? WaitingFor { get; set; }

    /// <summary>Why the array's elements never ran, when one of its dependencies can never hold; null otherwise.</summary>
    [Id(13)] public string? Unsatisfiable { get; set; }
}
