using System.Text.RegularExpressions;
using ComputeGrid.Domain;
using ComputeGrid.Domain.Jobs;
using ComputeGrid.Domain.Resources;

namespace ComputeGrid.Client;

/// <summary>A job to submit to the national pool.</summary>
public sealed partial record JobRequest
{
    /// <summary>Longest job id.</summary>
    public const int MaxJobIdLength = 128;

    /// <summary>
    /// The job's id: 1-128 characters of letters, digits, '.', '_' and '-'. Submitting again with the same id and the same
    /// request returns the same job (safe retries). Null: the SDK generates one.
    /// </summary>
    public string? JobId { get; init; }

    /// <summary>The owner the job is accounted to; required, at most 64 printable characters.</summary>
    public string Tenant { get; init; } = string.Empty;

    /// <summary>The hub where the job's data and users are, for example <c>yangtze</c>; required.</summary>
    public string OriginHub { get; init; } = string.Empty;

    /// <summary>CPU in millicores (1000 = one core); 1..1,024,000.</summary>
    public long CpuMillicores { get; init; }

    /// <summary>Memory in MiB; 1..16 TiB.</summary>
    public long MemoryMiB { get; init; }

    /// <summary>Whole GPUs; 0 (default) for none.</summary>
    public int Gpus { get; init; }

    /// <summary>GPU model (for example <c>910B</c>, <c>A800</c>, <c>H800</c>); required when <see cref="Gpus"/> is above 0.</summary>
    public string? GpuModel { get; init; }

    /// <summary>Declared run time; above zero, at most 30 days.</summary>
    public TimeSpan RunTime { get; init; }

    /// <summary>How close to the origin the job must run: Interactive (5 ms), Regional (20 ms) or Batch (default, anywhere).</summary>
    public LatencyClass LatencyClass { get; init; } = LatencyClass.Batch;

    /// <summary>Hubs the job may run in (data residency); empty (default) for every hub.</summary>
    public IReadOnlyList<string> AllowedHubs { get; init; } = [];

    /// <summary>Higher runs first; 0..1000, default 100.</summary>
    public int Priority { get; init; } = 100;

    /// <summary>What placement optimises: Greenest, Cheapest, Fastest, Balanced (default) or GreenestPredictive (Greenest that may wait, within a bound, for its full greenest data center).</summary>
    public PlacementPolicy Policy { get; init; } = PlacementPolicy.Balanced;

    /// <summary>Input data in GiB that moves when the job runs outside its origin hub (priced per GiB); default 0.</summary>
    public double InputDataGiB { get; init; }

    /// <summary>
    /// What a data-center agent runs (a local process); null (default) for a simulated job. With a command, the job is
    /// placed only where an agent runs the tenant's commands, <see cref="RunTime"/> is its wall-time limit, and the
    /// client must be allowed to submit commands (<see cref="ComputeGridClientOptions.AllowCommands"/>).
    /// </summary>
    public JobCommand? Command { get; init; }

    /// <summary>
    /// The most the job may cost at list prices for its declared run time, CNY, in fen (at most 2 decimals); null (default)
    /// for no cap. Placement rules out data centers above it; a job that no data center can take under it is rejected
    /// (<see cref="PriceCapException"/> names the cheapest price available).
    /// </summary>
    public decimal? MaxPriceCny { get; init; }

    /// <summary>
    /// Jobs and arrays of the same tenant this job waits for, all of which must hold (at most 64); null or empty (default)
    /// for none. Each must exist when this job is submitted. Until they hold the job is <see cref="JobState.Blocked"/>;
    /// when one never can, it ends <see cref="JobState.Unsatisfiable"/>. <see cref="JobDependencies.TryParse"/> reads
    /// Slurm's syntax (<c>afterok:prep,afterany:array:shards</c>).
    /// </summary>
    public IReadOnlyList<JobDependency>? DependsOn { get; init; }

    /// <summary>
    /// Whether the job may preempt lower-priority jobs of its origin hub when it cannot be placed: Never (default) or
    /// LowerPriority (at the head of its hub's queue, jobs of strictly lower priority its hub placed on its own data centers
    /// are preempted after a notice and requeued). As Kueue's <c>withinClusterQueue</c>.
    /// </summary>
    public PreemptionPolicy Preemption { get; init; } = PreemptionPolicy.Never;

    /// <summary>
    /// The advance reservation of this tenant to run in (Slurm's <c>--reservation</c>); null (default) for none. The job
    /// must fit one of its shares, be submitted in its hub, and its run time must end before the window closes; it waits
    /// (Queued) until the window opens and then runs inside the reservation's capacity.
    /// </summary>
    public string? Reservation { get; init; }

    /// <summary>The domain specification of this request.</summary>
    public JobSpec ToSpec() => new(
        Tenant,
        OriginHub,
        // The model is kept even without GPUs, so that the rules refuse a model the pool does not know either way.
        new ResourceRequest(CpuMillicores, MemoryMiB, Gpus, GpuModel),
        RunTime,
        LatencyClass,
        AllowedHubs ?? [],
        Priority,
        Policy,
        InputDataGiB,
        Command,
        MaxPriceCny: MaxPriceCny,
        DependsOn: DependsOn is { Count: > 0 } ? DependsOn : null,
        Preemption: Preemption,
        Reservation: Reservation);

    /// <summary>Checks everything that can be checked without the pool; an empty list means the shape is valid.</summary>
    public IReadOnlyList<ValidationError> Validate()
    {
        var errors = new List<ValidationError>();
        if (JobId is not null && !IsValidJobId(JobId))
        {
            errors.Add(new ValidationError("jobId", $"must be 1-{MaxJobIdLength} characters of letters, digits, '.', '_' and '-'"));
        }

        errors.AddRange(JobSpecRules.ValidateShape(ToSpec()));
        if (JobId is not null && JobDependencies.NamesItself(DependsOn, JobId) is { } self)
        {
            errors.Add(self);
        }

        return errors;
    }

    /// <summary>True for a well-formed job id.</summary>
    public static bool IsValidJobId(string? jobId) => jobId is { Length: > 0 and <= MaxJobIdLength } && JobIdPattern().IsMatch(jobId);

    /// <summary>True for an id a job may be read by: a well-formed job id, or a gang member's (<c>&lt;gangId&gt;+&lt;index&gt;</c>).</summary>
    public static bool IsReadableJobId(string? jobId) =>
        IsValidJobId(jobId) || (jobId is { Length: <= MaxJobIdLength } && Domain.Gangs.GangRules.IsMemberId(jobId, out var gangId) && IsValidJobId(gangId));

    [GeneratedRegex("^[A-Za-z0-9._-]+$")]
    private static partial Regex JobIdPattern();
}
