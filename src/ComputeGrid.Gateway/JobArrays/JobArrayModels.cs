using System.ComponentModel.DataAnnotations;
using System.Text.Json.Serialization;
using ComputeGrid.Contracts.JobArrays;
using ComputeGrid.Domain.JobArrays;
using ComputeGrid.Domain.Jobs;
using ComputeGrid.Gateway.Jobs;

namespace ComputeGrid.Gateway.JobArrays;

/// <summary>A job array to submit: <c>count</c> jobs of the shape <c>template</c>. The tenant comes from the API key.</summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed class SubmitJobArrayBody
{
    /// <summary>How many elements, 1..100,000. Element i (0..count-1) is the job <c>&lt;arrayId&gt;-&lt;i&gt;</c>.</summary>
    /// <example>1000</example>
    [Range(1, JobArrayRules.MaxCount)]
    public required int Count { get; init; }

    /// <summary>
    /// The shape of every element, as the body of POST /v1/jobs. In a command's arguments <c>%a</c> becomes the element's
    /// index, <c>%A</c> the array id and <c>%%</c> a '%'; its environment gains COMPUTEGRID_ARRAY_TASK_ID and COMPUTEGRID_ARRAY_ID.
    /// </summary>
    public required SubmitJobBody Template { get; init; }
}

/// <summary>The shape every element of an array was made from.</summary>
/// <param name="OriginHub">The hub where the elements' data and users are.</param>
/// <param name="Resources">What each element needs while it runs.</param>
/// <param name="RunTimeSeconds">Declared run time of each element, seconds.</param>
/// <param name="LatencyClass">Interactive, Regional or Batch.</param>
/// <param name="AllowedHubs">Hubs the elements may run in; empty for every hub.</param>
/// <param name="Priority">Higher runs first, 0..1000.</param>
/// <param name="Policy">Greenest, GreenestPredictive, Cheapest, Fastest or Balanced.</param>
/// <param name="InputDataGiB">Input data per element that moves when it runs outside its origin hub, GiB.</param>
/// <param name="Command">What the agent runs for each element, before %a and %A are replaced; null for simulated elements.</param>
/// <param name="MaxPriceCny">The most each element may cost at list prices for its declared run time, CNY; null for no cap.</param>
public sealed record JobTemplateView(
    string OriginHub,
    ResourcesView Resources,
    long RunTimeSeconds,
    LatencyClass LatencyClass,
    IReadOnlyList<string> AllowedHubs,
    int Priority,
    PlacementPolicy Policy,
    double InputDataGiB,
    CommandView? Command,
    decimal? MaxPriceCny)
{
    internal static JobTemplateView Of(JobSpec spec) => new(
        spec.OriginHub,
        new ResourcesView(spec.Resources.CpuMillicores, spec.Resources.MemoryMiB, spec.Resources.Gpus, spec.Resources.EffectiveGpuModel),
        (long)spec.RunTime.TotalSeconds,
        spec.LatencyClass,
        spec.AllowedHubs,
        spec.Priority,
        spec.Policy,
        spec.InputDataGiB,
        spec.Command is { } c ? CommandView.Of(c) : null,
        spec.MaxPriceCny);
}

/// <summary>A job array with its elements counted by state.</summary>
/// <param name="ArrayId">The array's id: the tenant, a dot and the Idempotency-Key (or a generated id).</param>
/// <param name="Tenant">The tenant its elements are accounted to.</param>
/// <param name="Count">How many elements it has.</param>
/// <param name="SubmittedAt">When it was accepted (UTC).</param>
/// <param name="Submitted">How many elements are jobs already (readable at GET /v1/jobs/{arrayId}-{index}); the array submits the rest in the background.</param>
/// <param name="Rejected">How many elements were refused at submission (counted as Failed).</param>
/// <param name="Cancelled">True once the array was cancelled.</param>
/// <param name="Counts">Every state with its number of elements; they add up to count. Elements not submitted yet count as Pending.</param>
/// <param name="Template">The shape every element was made from.</param>
public sealed record JobArrayView(
    string ArrayId,
    string Tenant,
    int Count,
    DateTimeOffset SubmittedAt,
    int Submitted,
    int Rejected,
    bool Cancelled,
    IReadOnlyDictionary<string, int> Counts,
    JobTemplateView Template)
{
    internal static JobArrayView Of(JobArraySnapshot a) => new(
        a.ArrayId,
        a.Template.Tenant,
        a.Count,
        a.SubmittedAt,
        a.Submitted,
        a.Rejected,
        a.Cancelled,
        a.Counts.OrderBy(c => c.Key).ToDictionary(c => c.Key.ToString(), c => c.Value),
        JobTemplateView.Of(a.Template));
}

/// <summary>One element of an array.</summary>
/// <param name="Index">Its index, 0..count-1.</param>
/// <param name="JobId">Its job's id, <c>&lt;arrayId&gt;-&lt;index&gt;</c>.</param>
/// <param name="State">The state it is counted in (Pending until it is submitted).</param>
/// <param name="Submitted">True when it is a job, readable and cancellable at /v1/jobs/{jobId}.</param>
public sealed record JobArrayElementView(int Index, string JobId, JobState State, bool Submitted)
{
    internal static JobArrayElementView Of(JobArrayElement e) => new(e.Index, e.JobId, e.State, e.Submitted);
}

/// <summary>A page of an array's elements in index order.</summary>
/// <param name="Elements">The elements.</param>
/// <param name="NextCursor">Pass as <c>cursor</c> to get the next page; null on the last page. Opaque.</param>
public sealed record JobArrayElementPageView(IReadOnlyList<JobArrayElementView> Elements, string? NextCursor);
