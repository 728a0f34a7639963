using ComputeGrid.Contracts.Jobs;
using ComputeGrid.Domain;
using ComputeGrid.Domain.Jobs;
using Orleans.Concurrency;

namespace ComputeGrid.Contracts.JobArrays;

/// <summary>
/// One job array (key: array id): N jobs of one shape, whose elements are jobs with ids <c>&lt;arrayId&gt;-&lt;index&gt;</c>.
/// The array is acknowledged once it is persisted and its first element is accepted; it submits the other elements
/// itself, in the background, through each element's <see cref="IJobGrain"/>, and keeps their states by index.
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
}

/// <summary>An array as it stands.</summary>
/// <param name="ArrayId">The array's id.</param>
/// <param name="Template">The specification every element was made from (before its index was put in).</param>
/// <param name="Count">How many elements it has.</param>
/// <param name="SubmittedAt">When it was accepted.</param>
/// <param name="Counts">Every element counted by state; they add up to <paramref name="Count"/>. Elements not yet submitted count as Pending, rejected ones as Failed, ones withdrawn by a cancel before submission as Cancelled.</param>
/// <param name="Submitted">How many elements are jobs already.</param>
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
/// <param name="Submitted">True when it is a job (readable and cancellable by <paramref name="JobId"/>).</param>
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
