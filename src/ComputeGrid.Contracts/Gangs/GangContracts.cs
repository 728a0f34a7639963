using ComputeGrid.Contracts.Jobs;
using ComputeGrid.Domain;
using ComputeGrid.Domain.Jobs;
using ComputeGrid.Domain.Placement;
using Orleans.Concurrency;

namespace ComputeGrid.Contracts.Gangs;

/// <summary>
/// One gang (key: gang id): N members of one shape placed all or nothing, in one data center or over the data centers of
/// one hub, as one entry of its origin region's queue. Its members are jobs with ids <c>&lt;gangId&gt;+&lt;index&gt;</c>
/// (<c>.r&lt;attempt&gt;</c> appended after a restart), created when the gang is placed; each reports its transitions
/// to the gang, which fails, restarts or requeues the gang whole.
/// </summary>
[Alias("cg.IGangGrain")]
public interface IGangGrain : IGrainWithStringKey
{
    /// <summary>
    /// Submits the gang: <paramref name="members"/> members of <paramref name="template"/>, restarted whole at most
    /// <paramref name="maxRestarts"/> times when a member fails. The same submission again returns the same gang; a
    /// different one under the same id is refused as a conflict.
    /// </summary>
    [Alias("Submit")]
    Task<GangSubmitResult> SubmitAsync(JobSpec template, int members, int maxRestarts, CancellationToken cancellationToken = default);

    /// <summary>The gang with its members, or null when no gang has this id. Interleaves: a read never waits for a placement.</summary>
    [AlwaysInterleave, Alias("Get")]
    Task<GangSnapshot?> GetAsync(CancellationToken cancellationToken = default);

    /// <summary>Cancels the gang and every member that has not ended. Idempotent; null when no gang has this id.</summary>
    [Alias("Cancel")]
    Task<GangSnapshot?> CancelAsync(string reason, CancellationToken cancellationToken = default);

    /// <summary>
    /// Its region placed every member of attempt <paramref name="attempt"/> (after the queue waited): the gang records it and
    /// hands each member its placement. One-way, so a region never waits on a gang that waits on it; idempotent.
    /// </summary>
    [OneWay, Alias("Placed")]
    Task OnPlacedAsync(int attempt, IReadOnlyList<JobPlacement> placements);

    /// <summary>
    /// Member <paramref name="index"/> of attempt <paramref name="attempt"/> entered <paramref name="state"/>: sent one-way
    /// by the member's job after each durable transition. Stale or repeated reports change nothing.
    /// </summary>
    [OneWay, Alias("MemberChanged")]
    Task OnMemberChangedAsync(int index, int attempt, JobState state, string detail);
}

/// <summary>A region's answer to placing a whole gang.</summary>
/// <param name="Outcome">Placed (every member), Queued (the whole gang waits) or Rejected.</param>
/// <param name="Placements">When placed: each member's placement, by index.</param>
/// <param name="Refusal">Why it was rejected.</param>
/// <param name="Errors">The fields at fault, when rejected.</param>
/// <param name="Detail">Where the members went (<c>8 members in dc-a (6), dc-b (2)</c>) or why it waits.</param>
[GenerateSerializer, Immutable, Alias("cg.GangPlaceResult")]
public sealed record GangPlaceResult(
    [property: Id(0)] Regions.PlaceOutcome Outcome,
    [property: Id(1)] IReadOnlyList<JobPlacement> Placements,
    [property: Id(2)] SubmitRefusal Refusal,
    [property: Id(3)] IReadOnlyList<ValidationError> Errors,
    [property: Id(4)] string Detail);

/// <summary>One member of a gang's current attempt.</summary>
/// <param name="Index">0..members-1.</param>
/// <param name="JobId">The member's job id.</param>
/// <param name="State">Its state as the gang last heard it.</param>
/// <param name="DataCenterId">Where it is placed; null while the gang waits.</param>
[GenerateSerializer, Immutable, Alias("cg.GangMember")]
public sealed record GangMember(
    [property: Id(0)] int Index,
    [property: Id(1)] string JobId,
    [property: Id(2)] JobState State,
    [property: Id(3)] string? DataCenterId);

/// <summary>A gang as stored.</summary>
/// <param name="GangId">The gang.</param>
/// <param name="Template">Every member's shape.</param>
/// <param name="Members">How many members.</param>
/// <param name="MaxRestarts">How many whole restarts a member's failure may cause.</param>
/// <param name="State">Pending, Queued (whole), Scheduled (every member placed), Running (every member started), Succeeded, Failed or Cancelled.</param>
/// <param name="Attempt">The current placement attempt (0 first).</param>
/// <param name="Restarts">Restarts used.</param>
/// <param name="SubmittedAt">When it was accepted.</param>
/// <param name="MemberList">The current attempt's members.</param>
/// <param name="History">Its steps: gang placed, gang started, gang restarts, gang failed, ...</param>
[GenerateSerializer, Immutable, Alias("cg.GangSnapshot")]
public sealed record GangSnapshot(
    [property: Id(0)] string GangId,
    [property: Id(1)] JobSpec Template,
    [property: Id(2)] int Members,
    [property: Id(3)] int MaxRestarts,
    [property: Id(4)] JobState State,
    [property: Id(5)] int Attempt,
    [property: Id(6)] int Restarts,
    [property: Id(7)] DateTimeOffset SubmittedAt,
    [property: Id(8)] IReadOnlyList<GangMember> MemberList,
    [property: Id(9)] IReadOnlyList<JobEvent> History);

/// <summary>The answer of <see cref="IGangGrain.SubmitAsync"/>.</summary>
[GenerateSerializer, Immutable, Alias("cg.GangSubmitResult")]
public sealed record GangSubmitResult(
    [property: Id(0)] GangSnapshot? Gang,
    [property: Id(1)] SubmitRefusal Refusal,
    [property: Id(2)] IReadOnlyList<ValidationError> Errors)
{
    /// <summary>An accepted gang.</summary>
    public static GangSubmitResult Accepted(GangSnapshot gang) => new(gang, SubmitRefusal.None, []);

    /// <summary>A refused gang.</summary>
    public static GangSubmitResult Refused(SubmitRefusal refusal, IReadOnlyList<ValidationError> errors) => new(null, refusal, errors);
}
