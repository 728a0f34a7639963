using ComputeGrid.Contracts.Jobs;
using ComputeGrid.Domain;
using ComputeGrid.Domain.Jobs;
using Orleans.Concurrency;

namespace ComputeGrid.Contracts.JobArrays;

/// <summary>
/// One job array (key: array id): N jobs of one shape, whose elements are jobs with ids <c>&lt;arrayId&gt;-&lt;index&gt;</c>.
/// The array is acknowledged once it is persisted and its first element is accepted; it places the other elements
/// itself, in the background, in batches through its origin hub's region, and holds their states by index. An element's
/// <see cref="IJobGrain"/> activates lazily: it reads a held element through its array, and takes the element's state
/// over (<see cref="ActivateElementAsync"/>) before its first change of its own (an assignment, a cancel, a transition a
/// data center reports, a watch); from then on it owns the state and reports each change to the array.
/// </summary>
[Alias("cg.IJobArrayGrain")]
public interface IJobArrayGrain : IGrainWithStringKey
{
    /// <summary>
    /// Submits the array: <paramref name="count"/> elements of <paramref name="template"/>. The same submission again
    /// returns the same array; a different template or count under the same id is refused as a conflict.
    /// </summary>
    [Alias("Submit")]
    Task<JobArraySubmitResult> SubmitAsync(JobSpec template, int count, CancellationToken cancellationToken = default);

    /// <summary>The array with its counts by state, or null when no array has this id. Interleaves: a read never waits for a submission pass.</summary>
    [AlwaysInterleave, Alias("Get")]
    Task<JobArraySnapshot?> GetAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// A job of <paramref name="tenant"/> depends on the whole array: where its elements stand for the job's conditions,
    /// or null when no array of that tenant has this id. Until every element has ended the array records
    /// <paramref name="dependentId"/> (durable before it answers) and nudges it when its elements have all started, all
    /// ended, or one ended without succeeding. Idempotent.
    /// </summary>
    [Alias("DependOn")]
    Task<DependencyStatus?> DependOnAsync(string dependentId, string tenant, CancellationToken cancellationToken = default);

    /// <summary>
    /// A job or array this array depends on started or ended: an array that waits reads its dependencies again and starts
    /// submitting its elements, or marks them Unsatisfiable, or waits on. One-way and idempotent.
    /// </summary>
    [OneWay, Alias("OnDependencyChanged")]
    Task OnDependencyChangedAsync(string targetId);

    /// <summary>
    /// Up to <paramref name="limit"/> elements from index <paramref name="from"/> on, in index order, only those counted
    /// in <paramref name="state"/> when given; null when no array has this id. Interleaves, as <see cref="GetAsync"/>.
    /// </summary>
    [AlwaysInterleave, Alias("ListElements")]
    Task<JobArrayElementPage?> ListElementsAsync(JobState? state, int limit, int from, CancellationToken cancellationToken = default);

    /// <summary>
    /// Cancels the array: elements not yet submitted never will be (counted as Cancelled), every submitted element that
    /// has not ended is cancelled as a job and releases its capacity. Idempotent; null when no array has this id.
    /// </summary>
    [Alias("Cancel")]
    Task<JobArraySnapshot?> CancelAsync(string reason, CancellationToken cancellationToken = default);

    /// <summary>
    /// An element's job entered <paramref name="state"/> with event <paramref name="sequence"/>: sent one-way by the
    /// element's <see cref="IJobGrain"/> after each durable transition. Interleaves (it only updates the counts in
    /// memory), so an element never waits on the array that is submitting it; stale or repeated reports change nothing.
    /// </summary>
    [AlwaysInterleave, OneWay, Alias("ElementChanged")]
    Task OnElementChangedAsync(int index, JobState state, int sequence);

    /// <summary>
    /// Element <paramref name="index"/> as the array holds it, for its job grain while that has no state of its own (as a
    /// job; null when the array or the element is unknown, or the element never became a job). Interleaves.
    /// </summary>
    [AlwaysInterleave, Alias("ReadElement")]
    Task<HeldElement?> ReadElementAsync(int index, CancellationToken cancellationToken = default);

    /// <summary>
    /// Hands element <paramref name="index"/>'s state over to its job grain: durable at the array before it answers, and
    /// idempotent (a grain that lost the state before writing it gets the same again). An element the array is placing
    /// is handed over as Pending (its job places it again; the region answers with what it holds). Null as
    /// <see cref="ReadElementAsync"/>. Interleaves and never waits for another grain, so a job grain called by the
    /// array's own region or by the array itself never waits on the array.
    /// </summary>
    [AlwaysInterleave, Alias("ActivateElement")]
    Task<HeldElement?> ActivateElementAsync(int index, CancellationToken cancellationToken = default);

    /// <summary>
    /// Data center <paramref name="dataCenterId"/> reports that held element <paramref name="index"/> started: the array
    /// records Running, durably, and answers true. False when the array does not hold it scheduled there (its job grain
    /// then handles the report itself). Interleaves, as <see cref="ActivateElementAsync"/>.
    /// </summary>
    [AlwaysInterleave, Alias("RunElement")]
    Task<bool> RunElementAsync(int index, string dataCenterId, CancellationToken cancellationToken = default);
}

/// <summary>An element's state as its array holds it.</summary>
/// <param name="Job">The element as a job: Pending (not placed yet), Queued, Scheduled or Running, with the events that led there.</param>
/// <param name="Settling">True while the array has no answer for it from its region (its call under way, or failed and to be made again): a queue entry or placement may exist that the array has not recorded.</param>
/// <param name="Activated">True once its job grain took its state over.</param>
[GenerateSerializer, Immutable, Alias("cg.HeldElement")]
public sealed record HeldElement(
    [property: Id(0)] JobSnapshot Job,
    [property: Id(1)] bool Settling,
    [property: Id(2)] bool Activated);

/// <summary>An array as it stands.</summary>
/// <param name="ArrayId">The array's id.</param>
/// <param name="Template">The specification every element was made from (before its index was put in).</param>
/// <param name="Count">How many elements it has.</param>
/// <param name="SubmittedAt">When it was accepted.</param>
/// <param name="Counts">Every element counted by state; they add up to <paramref name="Count"/>. Elements not yet submitted count as Pending, rejected ones as Failed, ones withdrawn by a cancel before submission as Cancelled.</param>
/// <param name="Submitted">How many elements are jobs already (queued or placed by their region).</param>
/// <param name="Rejected">How many elements were refused at submission (counted as Failed).</param>
/// <param name="Cancelled">True once the array was cancelled.</param>
/// <param name="Version">Grows with every change of the counts; watchers compare it.</param>
[GenerateSerializer, Immutable, Alias("cg.JobArraySnapshot")]
public sealed record JobArraySnapshot(
    [property: Id(0)] string ArrayId,
    [property: Id(1)] JobSpec Template,
    [property: Id(2)] int Count,
    [property: Id(3)] DateTimeOffset SubmittedAt,
    [property: Id(4)] IReadOnlyDictionary<JobState, int> Counts,
    [property: Id(5)] int Submitted,
    [property: Id(6)] int Rejected,
    [property: Id(7)] bool Cancelled,
    [property: Id(8)] long Version)
{
    /// <summary>True when every element has ended (Succeeded, Failed or Cancelled).</summary>
    public bool Ended => Counts.Where(c => c.Key.IsTerminal()).Sum(c => c.Value) == Count;
}

/// <summary>One element of an array.</summary>
/// <param name="Index">Its index, 0..Count-1.</param>
/// <param name="JobId">Its job's id, <c>&lt;arrayId&gt;-&lt;index&gt;</c>.</param>
/// <param name="State">The state it is counted in.</param>
/// <param name="Submitted">True when its region queued or placed it (every element but a rejected or withdrawn one is readable and cancellable by <paramref name="JobId"/>).</param>
[GenerateSerializer, Immutable, Alias("cg.JobArrayElement")]
public sealed record JobArrayElement(
    [property: Id(0)] int Index,
    [property: Id(1)] string JobId,
    [property: Id(2)] JobState State,
    [property: Id(3)] bool Submitted);

/// <summary>A page of an array's elements in index order.</summary>
/// <param name="Elements">The elements.</param>
/// <param name="NextIndex">Where the next page starts; null on the last page.</param>
[GenerateSerializer, Immutable, Alias("cg.JobArrayElementPage")]
public sealed record JobArrayElementPage(
    [property: Id(0)] IReadOnlyList<JobArrayElement> Elements,
    [property: Id(1)] int? NextIndex);

/// <summary>The answer to an array submission: the array, or why it was refused.</summary>
/// <param name="Array">The accepted array; null when refused.</param>
/// <param name="Refusal">None when accepted.</param>
/// <param name="Errors">Why it was refused.</param>
[GenerateSerializer, Immutable, Alias("cg.JobArraySubmitResult")]
public sealed record JobArraySubmitResult(
    [property: Id(0)] JobArraySnapshot? Array,
    [property: Id(1)] SubmitRefusal Refusal,
    [property: Id(2)] IReadOnlyList<ValidationError> Errors)
{
    /// <summary>An accepted array.</summary>
    public static JobArraySubmitResult Accepted(JobArraySnapshot array) => new(array, SubmitRefusal.None, []);

    /// <summary>A refused array.</summary>
    public static JobArraySubmitResult Refused(SubmitRefusal refusal, IReadOnlyList<ValidationError> errors) => new(null, refusal, errors);
}
