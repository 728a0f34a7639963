using System.ComponentModel.DataAnnotations;
using System.Text.Json.Serialization;
using ComputeGrid.Client;
using ComputeGrid.Contracts.Jobs;
using ComputeGrid.Domain.Accounting;
using ComputeGrid.Domain.Jobs;
using ComputeGrid.Domain.Topology;

namespace ComputeGrid.Gateway.Jobs;

/// <summary>A job to submit. The tenant comes from the API key, never from the body.</summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed class SubmitJobBody
{
    /// <summary>The hub where the job's data and users are (a hub id from <c>GET /v1/hubs</c>).</summary>
    /// <example>yangtze</example>
    [StringLength(DataCenterRules.MaxIdLength, MinimumLength = 1)]
    public required string OriginHub { get; init; }

    /// <summary>What the job needs while it runs.</summary>
    public required ResourcesBody Resources { get; init; }

    /// <summary>Declared run time in seconds, 1..2,592,000 (30 days); used for the estimate and by the simulated executor.</summary>
    /// <example>7200</example>
    [Range(1, MaxRunTimeSeconds)]
    public required long RunTimeSeconds { get; init; }

    /// <summary>How close to the origin the job must run: Interactive (one-way 5 ms or less), Regional (20 ms or less) or Batch (anywhere); default Batch.</summary>
    /// <example>Batch</example>
    public LatencyClass LatencyClass { get; init; } = LatencyClass.Batch;

    /// <summary>Hubs the job may run in (data residency), at most 64; empty or absent for every hub.</summary>
    /// <example>["yangtze", "guizhou"]</example>
    [MaxLength(JobSpecRules.MaxAllowedHubs)]
    public IReadOnlyList<string> AllowedHubs { get; init; } = [];

    /// <summary>Higher runs first, 0..1000; default 100.</summary>
    /// <example>100</example>
    [Range(0, 1000)]
    public int Priority { get; init; } = 100;

    /// <summary>What placement optimises once the constraints are met: Greenest (least kgCO2), Cheapest (least CNY), Fastest (least latency) or Balanced; default Balanced.</summary>
    /// <example>Greenest</example>
    public PlacementPolicy Policy { get; init; } = PlacementPolicy.Balanced;

    /// <summary>Input data in GiB that moves when the job runs outside its origin hub (priced per GiB), 0..1,048,576; default 0.</summary>
    /// <example>10</example>
    [Range(0, 1048576)]
    public double InputDataGiB { get; init; }

    /// <summary>
    /// What a data-center agent runs (a local process, no shell unless the executable is one); absent for a simulated job
    /// that takes its run time. The job then runs only where an agent runs the tenant's commands, runTimeSeconds is its
    /// wall-time limit, and the API key needs the permission to submit commands (else 403).
    /// </summary>
    public CommandBody? Command { get; init; }

    /// <summary>The most the job may cost at list prices for its declared run time, CNY, at most 2 decimals; absent for no cap. No data center above it is used; a job no data center can take under it answers 422 naming maxPriceCny and the cheapest price (POST /v1/quotes shows the prices).</summary>
    /// <example>50.00</example>
    public decimal? MaxPriceCny { get; init; }

    /// <summary>
    /// Jobs and job arrays of your tenant this job waits for, all of which must hold (Slurm's <c>--dependency</c> with ','),
    /// at most 64. Until they hold the job is Blocked; when one can never hold (afterok on a job that failed) it ends
    /// Unsatisfiable with the reason. Each target must exist when this job is submitted (else 422 naming it).
    /// </summary>
    [MaxLength(JobDependencies.MaxDependencies)]
    public IReadOnlyList<DependencyBody>? DependsOn { get; init; }

    /// <summary>Never (default: wait for capacity) or LowerPriority: at the head of its origin hub's queue the job may preempt jobs of strictly lower priority that hub placed on its own data centers; they get a notice, are preempted and requeued, and their Preempted event names this job.</summary>
    /// <example>Never</example>
    public PreemptionPolicy Preemption { get; init; } = PreemptionPolicy.Never;

    /// <summary>
    /// An advance reservation of your tenant to run in (Slurm's <c>--reservation</c>; POST /v1/reservations makes one). The
    /// job must fit one of its shares, come from its hub (originHub), and end (runTimeSeconds) before the window closes,
    /// else 422 naming reservation. It waits Queued until the window opens, then runs inside the reservation's capacity.
    /// </summary>
    /// <example>acme-training-window</example>
    public string? Reservation { get; init; }

    /// <summary>Longest declared run time, seconds (30 days).</summary>
    internal const long MaxRunTimeSeconds = 30L * 24 * 3600;

    /// <summary>The SDK request for this body.</summary>
    internal JobRequest ToRequest(string? jobId, string tenant) => new()
    {
        JobId = jobId,
        Tenant = tenant,
        OriginHub = OriginHub,
        CpuMillicores = Resources.CpuMillicores,
        MemoryMiB = Resources.MemoryMiB,
        Gpus = Resources.Gpus,
        GpuModel = Resources.GpuModel,
        RunTime = RunTimeSeconds is >= 1 and <= MaxRunTimeSeconds ? TimeSpan.FromSeconds(RunTimeSeconds) : TimeSpan.Zero,
        LatencyClass = LatencyClass,
        AllowedHubs = AllowedHubs,
        Priority = Priority,
        Policy = Policy,
        InputDataGiB = InputDataGiB,
        Command = Command?.ToCommand(),
        MaxPriceCny = MaxPriceCny,
        DependsOn = DependsOn?.Select(d => d?.ToDependency()!).ToList(),
        Preemption = Preemption,
        Reservation = Reservation,
    };
}

/// <summary>One dependency: a condition on exactly one of a job or a whole job array.</summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed class DependencyBody
{
    /// <summary>AfterOk (the target succeeded; every element of an array), AfterAny (it ended), AfterNotOk (it ended without succeeding; for an array, all ended and one did not succeed) or After (it started, or ended without starting).</summary>
    /// <example>AfterOk</example>
    public required DependencyCondition Condition { get; init; }

    /// <summary>The job waited for, by its full id (over REST your tenant, a dot and the Idempotency-Key it was submitted with; an array element: its array id, a dash and its index); give this or arrayId.</summary>
    /// <example>acme.prepare-data</example>
    public string? JobId { get; init; }

    /// <summary>The whole job array waited for, by its full id (your tenant, a dot and its Idempotency-Key); give this or jobId.</summary>
    /// <example>acme.render-2026-11-25</example>
    public string? ArrayId { get; init; }

    /// <summary>The domain dependency; an empty target when neither or both ids are given, which validation names.</summary>
    internal JobDependency ToDependency() =>
        JobId is not null && ArrayId is null ? new(Condition, JobId, DependencyTarget.Job)
        : ArrayId is not null && JobId is null ? new(Condition, ArrayId, DependencyTarget.Array)
        : new(Condition, string.Empty, JobId is null ? DependencyTarget.Job : DependencyTarget.Array);
}

/// <summary>One dependency of a job as submitted.</summary>
/// <param name="Condition">AfterOk, AfterAny, AfterNotOk or After.</param>
/// <param name="JobId">The job waited for; null for an array.</param>
/// <param name="ArrayId">The array waited for; null for a job.</param>
public sealed record DependencyView(DependencyCondition Condition, string? JobId, string? ArrayId)
{
    internal static DependencyView Of(JobDependency d) =>
        d.Target == DependencyTarget.Array ? new(d.Condition, null, d.TargetId) : new(d.Condition, d.TargetId, null);
}

/// <summary>A job's command: what its agent runs.</summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed class CommandBody
{
    /// <summary>The program: a path, or a name on the agent's PATH.</summary>
    /// <example>sh</example>
    [StringLength(JobCommand.MaxLength, MinimumLength = 1)]
    public required string Executable { get; init; }

    /// <summary>Its arguments, passed as they are; at most 256, each at most 4,096 characters.</summary>
    /// <example>["-c", "echo hi; exit 0"]</example>
    [MaxLength(JobCommand.MaxArguments)]
    public IReadOnlyList<string> Arguments { get; init; } = [];

    /// <summary>Environment variables added to the job's minimal environment; at most 128.</summary>
    public IReadOnlyDictionary<string, string> Environment { get; init; } = new Dictionary<string, string>();

    /// <summary>Relative to the job's own directory on the agent; absent for that directory.</summary>
    [StringLength(JobCommand.MaxLength)]
    public string? WorkingDirectory { get; init; }

    /// <summary>Run it again elsewhere when its agent loses the process (true, default), or fail it (false).</summary>
    public bool RequeueIfLost { get; init; } = true;

    internal JobCommand ToCommand() => new(Executable, Arguments ?? [], Environment ?? new Dictionary<string, string>(), WorkingDirectory, RequeueIfLost);
}

/// <summary>A job's command as submitted.</summary>
/// <param name="Executable">The program.</param>
/// <param name="Arguments">Its arguments.</param>
/// <param name="Environment">Variables added to its environment.</param>
/// <param name="WorkingDirectory">Relative to the job's directory; null for that directory.</param>
/// <param name="RequeueIfLost">Run again elsewhere when the agent loses the process.</param>
public sealed record CommandView(string Executable, IReadOnlyList<string> Arguments, IReadOnlyDictionary<string, string> Environment, string? WorkingDirectory, bool RequeueIfLost)
{
    internal static CommandView Of(JobCommand c) => new(c.Executable, c.Arguments, c.Environment, c.WorkingDirectory, c.RequeueIfLost);
}

/// <summary>How a job's process ended.</summary>
/// <param name="ExitCode">Its exit code (128 + signal when killed by one); null when the process was lost or never started.</param>
/// <param name="OutputTail">The last bytes of its stdout and stderr together, at most 4 KiB.</param>
/// <param name="TimedOut">Killed at its wall-time limit.</param>
public sealed record OutcomeView(int? ExitCode, string? OutputTail, bool TimedOut);

/// <summary>Resources one job needs.</summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed class ResourcesBody
{
    /// <summary>CPU in millicores (1000 = one core), 1..1,024,000.</summary>
    /// <example>4000</example>
    [Range(1, 1_024_000)]
    public required long CpuMillicores { get; init; }

    /// <summary>Memory in MiB, 1..16,777,216 (16 TiB).</summary>
    /// <example>16384</example>
    [Range(1, 16_777_216)]
    public required long MemoryMiB { get; init; }

    /// <summary>Whole GPUs, 0..1024; default 0.</summary>
    /// <example>1</example>
    [Range(0, 1024)]
    public int Gpus { get; init; }

    /// <summary>GPU model, one of the pool's (for example 910B, A800, H800); required when gpus is above 0. An unknown model answers 400, with or without GPUs.</summary>
    /// <example>910B</example>
    [StringLength(DataCenterRules.MaxGpuModelLength, MinimumLength = 1)]
    [RegularExpression("^[A-Za-z0-9][A-Za-z0-9._-]*$")]
    public string? GpuModel { get; init; }
}

/// <summary>Resources a job asked for.</summary>
/// <param name="CpuMillicores">CPU in millicores (1000 = one core).</param>
/// <param name="MemoryMiB">Memory in MiB.</param>
/// <param name="Gpus">Whole GPUs.</param>
/// <param name="GpuModel">GPU model; null without GPUs.</param>
public sealed record ResourcesView(long CpuMillicores, long MemoryMiB, int Gpus, string? GpuModel);

/// <summary>Energy, carbon and cost of some work.</summary>
/// <param name="EnergyKwh">Facility energy in kWh (IT energy x PUE).</param>
/// <param name="CarbonKg">Emissions in kgCO2.</param>
/// <param name="CostCny">Cost in CNY: energy plus input data transfer.</param>
public sealed record FootprintView(double EnergyKwh, double CarbonKg, double CostCny)
{
    internal static FootprintView Of(Footprint f) => new(f.EnergyKwh, f.CarbonKg, f.CostCny);
}

/// <summary>Where a job was placed and why.</summary>
/// <param name="DataCenterId">The chosen data center.</param>
/// <param name="HubId">Its hub.</param>
/// <param name="Reason">Why it won: the policy, the deciding number and the runner-up.</param>
/// <param name="LatencyMs">One-way latency from the job's origin hub, ms.</param>
/// <param name="Estimate">Estimated energy (kWh), carbon (kgCO2) and cost (CNY) there for the declared run time.</param>
/// <param name="LoanId">The capacity loan it runs on when the data center belongs to another hub than its origin (GET /v1/loans/{loanId}); null at home.</param>
public sealed record PlacementView(string DataCenterId, string HubId, string Reason, double LatencyMs, FootprintView Estimate, string? LoanId);

/// <summary>One transition of a job.</summary>
/// <param name="Sequence">1, 2, 3... per job, without gaps.</param>
/// <param name="State">The state entered.</param>
/// <param name="At">When (UTC, ISO 8601).</param>
/// <param name="DataCenterId">The data center involved, if any.</param>
/// <param name="Detail">Why, in a sentence.</param>
public sealed record JobEventView(long Sequence, JobState State, DateTimeOffset At, string? DataCenterId, string Detail)
{
    internal static JobEventView Of(JobEvent e) => new(e.Sequence, e.State, e.At, e.DataCenterId, e.Detail);
}

/// <summary>Everything known about one job.</summary>
/// <param name="JobId">The job's id: the tenant, a dot and the Idempotency-Key (or a generated id).</param>
/// <param name="Tenant">The tenant it is accounted to.</param>
/// <param name="State">Pending, Blocked (waiting for its dependencies), Queued, Scheduled, Running, Preempted, Succeeded, Failed, Cancelled or Unsatisfiable (a dependency can never hold).</param>
/// <param name="OriginHub">The hub where its data and users are.</param>
/// <param name="Resources">What it needs while it runs.</param>
/// <param name="RunTimeSeconds">Declared run time, seconds.</param>
/// <param name="LatencyClass">Interactive, Regional or Batch.</param>
/// <param name="AllowedHubs">Hubs it may run in; empty for every hub.</param>
/// <param name="Priority">Higher runs first, 0..1000.</param>
/// <param name="Policy">Greenest, GreenestPredictive, Cheapest, Fastest or Balanced.</param>
/// <param name="InputDataGiB">Input data that moves when it runs outside its origin hub, GiB.</param>
/// <param name="SubmittedAt">When it was accepted (UTC).</param>
/// <param name="StartedAt">When it started running, if it did.</param>
/// <param name="FinishedAt">When it ended, if it did.</param>
/// <param name="Placement">Where it runs or ran and why; null while pending or queued.</param>
/// <param name="Actual">Its measured footprint once it finished after running.</param>
/// <param name="Events">Every transition, oldest first.</param>
/// <param name="Command">What its agent runs; null for a simulated job.</param>
/// <param name="Outcome">For a job with a command that ended: its exit code and output tail.</param>
/// <param name="MaxPriceCny">The most it may cost at list prices for its declared run time, CNY; null for no cap.</param>
/// <param name="DependsOn">What it waits for (all must hold); empty for none. While it waits it is Blocked, and its last event says for what.</param>
/// <param name="Preemption">Never or LowerPriority: whether it may preempt lower-priority jobs of its hub.</param>
/// <param name="Reservation">The advance reservation it runs in; null for none.</param>
public sealed record JobView(
    string JobId,
    string Tenant,
    JobState State,
    string OriginHub,
    ResourcesView Resources,
    long RunTimeSeconds,
    LatencyClass LatencyClass,
    IReadOnlyList<string> AllowedHubs,
    int Priority,
    PlacementPolicy Policy,
    double InputDataGiB,
    DateTimeOffset SubmittedAt,
    DateTimeOffset? StartedAt,
    DateTimeOffset? FinishedAt,
    PlacementView? Placement,
    FootprintView? Actual,
    IReadOnlyList<JobEventView> Events,
    CommandView? Command,
    OutcomeView? Outcome,
    decimal? MaxPriceCny,
    IReadOnlyList<DependencyView> DependsOn,
    PreemptionPolicy Preemption,
    string? Reservation = null)
{
    internal static JobView Of(JobSnapshot job)
    {
        var spec = job.Spec;
        var r = spec.Resources;
        var placement = job.Placement is { } p ? new PlacementView(p.DataCenterId, p.HubId, p.Reason, p.LatencyMs, FootprintView.Of(p.Estimate), p.LoanId) : null;
        return new JobView(
            job.JobId,
            spec.Tenant,
            job.State,
            spec.OriginHub,
            new ResourcesView(r.CpuMillicores, r.MemoryMiB, r.Gpus, r.EffectiveGpuModel),
            (long)spec.RunTime.TotalSeconds,
            spec.LatencyClass,
            spec.AllowedHubs,
            spec.Priority,
            spec.Policy,
            spec.InputDataGiB,
            job.SubmittedAt,
            job.StartedAt,
            job.FinishedAt,
            placement,
            job.Actual is { } a ? FootprintView.Of(a) : null,
            [.. job.History.Select(JobEventView.Of)],
            spec.Command is { } c ? CommandView.Of(c) : null,
            job.Outcome is { } o ? new OutcomeView(o.ExitCode, o.OutputTail, o.TimedOut) : null,
            spec.MaxPriceCny,
            [.. (spec.DependsOn ?? []).Select(DependencyView.Of)],
            spec.Preemption,
            spec.Reservation);
    }
}

/// <summary>One row of a job listing.</summary>
/// <param name="JobId">The job.</param>
/// <param name="State">Its state when the listing was last told of it.</param>
/// <param name="OriginHub">Its origin hub.</param>
/// <param name="DataCenterId">Where it runs or ran, if placed.</param>
/// <param name="SubmittedAt">When it was accepted (UTC).</param>
/// <param name="Tenant">The tenant it belongs to.</param>
public sealed record JobSummaryView(string JobId, JobState State, string OriginHub, string? DataCenterId, DateTimeOffset SubmittedAt, string Tenant)
{
    internal static JobSummaryView Of(JobSummary s) => new(s.JobId, s.State, s.OriginHub, s.DataCenterId, s.SubmittedAt, s.Tenant);
}

/// <summary>A page of a job listing: one tenant's jobs newest first, or (operators) every tenant's, tenant by tenant.</summary>
/// <param name="Jobs">The rows.</param>
/// <param name="NextCursor">Pass as <c>cursor</c> to get the next page; null on the last page. Opaque.</param>
public sealed record JobPageView(IReadOnlyList<JobSummaryView> Jobs, string? NextCursor);

/// <summary>The caller's tenant: jobs by state and the footprint of its finished work.</summary>
/// <param name="Tenant">The tenant.</param>
/// <param name="JobsByState">Jobs per state, by state name.</param>
/// <param name="Executed">Energy (kWh), carbon (kgCO2) and cost (CNY) of its finished work.</param>
public sealed record TenantView(string Tenant, IReadOnlyDictionary<string, int> JobsByState, FootprintView Executed);
