using ComputeGrid.Contracts.Jobs;
using ComputeGrid.Domain;
using ComputeGrid.Domain.Jobs;
using ComputeGrid.Domain.Placement;

namespace ComputeGrid.Contracts.Regions;

/// <summary>What a region did with a job it was asked to place.</summary>
[GenerateSerializer, Alias("cg.PlaceOutcome")]
public enum PlaceOutcome
{
    /// <summary>Capacity reserved; see the placement.</summary>
    Placed,

    /// <summary>Nothing fits now; the job waits in the region's queue.</summary>
    Queued,

    /// <summary>Refused: invalid against the pool, or can never fit (see the errors).</summary>
    Rejected,
}

/// <summary>The answer of <see cref="IRegionGrain.PlaceAsync"/>.</summary>
[GenerateSerializer, Immutable, Alias("cg.PlaceResult")]
public sealed record PlaceResult(
    [property: Id(0)] PlaceOutcome Outcome,
    [property: Id(1)] JobPlacement? Placement,
    [property: Id(2)] SubmitRefusal Refusal,
    [property: Id(3)] IReadOnlyList<ValidationError> Errors,
    [property: Id(4)] string? Detail = null);

/// <summary>A job waiting in a region's queue.</summary>
[GenerateSerializer, Immutable, Alias("cg.QueueEntry")]
public sealed record QueueEntry(
    [property: Id(0)] string JobId,
    [property: Id(1)] string Tenant,
    [property: Id(2)] int Priority,
    [property: Id(3)] long Sequence,
    [property: Id(4)] DateTimeOffset EnqueuedAt);

/// <summary>One submission in a placement batch.</summary>
/// <param name="JobId">The job.</param>
/// <param name="Spec">Its specification.</param>
[GenerateSerializer, Immutable, Alias("cg.PlaceAsk")]
public sealed record PlaceAsk([property: Id(0)] string JobId, [property: Id(1)] JobSpec Spec);
