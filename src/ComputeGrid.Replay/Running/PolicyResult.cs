using ComputeGrid.Domain.Accounting;
using ComputeGrid.Domain.Jobs;
using ComputeGrid.Domain.Placement;
using ComputeGrid.Replay.Mapping;

namespace ComputeGrid.Replay.Running;

/// <summary>How one trace job fared under one policy.</summary>
/// <param name="JobId">The ComputeGrid job id.</param>
/// <param name="OriginHub">Where its users are.</param>
/// <param name="HubId">Where it ran; null when it never ran.</param>
/// <param name="State">Its state when the replay ended.</param>
/// <param name="Wait">Submission to start on the virtual clock; null when it never started.</param>
/// <param name="Footprint">Its measured energy, carbon and cost; zero when it never ran.</param>
/// <param name="LatencyViolation">True when it ran farther from its origin than its latency class allows.</param>
/// <param name="CoreHours">Cores x hours it ran.</param>
/// <param name="GpuHours">GPUs x hours it ran.</param>
/// <param name="OnLoan">True when it ran on capacity borrowed from another hub.</param>
public sealed record JobOutcome(
    string JobId,
    string OriginHub,
    string? HubId,
    JobState State,
    TimeSpan? Wait,
    Footprint Footprint,
    bool LatencyViolation,
    double CoreHours,
    double GpuHours,
    bool OnLoan);

/// <summary>Utilisation of every hub at one moment of the replay (used / capacity, 0..1).</summary>
/// <param name="At">Time since the trace's start.</param>
/// <param name="Cpu">CPU utilisation by hub id.</param>
/// <param name="Gpu">GPU utilisation by hub id (0 for a hub without GPUs).</param>
public sealed record UtilisationSample(TimeSpan At, IReadOnlyDictionary<string, double> Cpu, IReadOnlyDictionary<string, double> Gpu);

/// <summary>Everything measured for one policy on one trace.</summary>
/// <param name="Policy">The policy.</param>
/// <param name="Submitted">Trace jobs submitted.</param>
/// <param name="Rejected">Submissions the federation refused (can never run as specified).</param>
/// <param name="Jobs">One outcome per accepted job.</param>
/// <param name="PoolExecuted">The pool's own total of executed work, to check against the jobs' sum.</param>
/// <param name="LoansMade">Loans accepted between hubs (each hub's loans borrowed, summed).</param>
/// <param name="Samples">Hub utilisation over time.</param>
/// <param name="WallTime">How long the policy's replay took on the wall clock.</param>
/// <param name="TimedOut">True when the wall-clock budget ran out before every job ended.</param>
public sealed record PolicyResult(
    ReplayPolicy Policy,
    int Submitted,
    int Rejected,
    IReadOnlyList<JobOutcome> Jobs,
    Footprint PoolExecuted,
    int LoansMade,
    IReadOnlyList<UtilisationSample> Samples,
    TimeSpan WallTime,
    bool TimedOut)
{
    /// <summary>Wall time per phase of the replay (where the time goes); empty when not measured.</summary>
    public IReadOnlyDictionary<Phase, TimeSpan> Phases { get; init; } = new Dictionary<Phase, TimeSpan>();

    /// <summary>The queue discipline the federation's regions ran.</summary>
    public QueueDiscipline Discipline { get; init; } = QueueDiscipline.Backfill;

    /// <summary>Jobs that ran to success.</summary>
    public int Completed => Jobs.Count(j => j.State == JobState.Succeeded);

    /// <summary>The sum of every job's footprint.</summary>
    public Footprint Total => Jobs.Aggregate(Footprint.Zero, (sum, j) => sum + j.Footprint);

    /// <summary>Mean wait of the jobs that started.</summary>
    public TimeSpan MeanWait => Started.Count == 0 ? TimeSpan.Zero : TimeSpan.FromSeconds(Started.Average(w => w.TotalSeconds));

    /// <summary>95th-percentile wait (nearest rank) of the jobs that started.</summary>
    public TimeSpan P95Wait => Started.Count == 0 ? TimeSpan.Zero : Started[Math.Max(0, (int)Math.Ceiling(0.95 * Started.Count) - 1)];

    /// <summary>
    /// The longest wait of the jobs that started: a bound from the optimum with a <c>--max-wait</c> below it is not a
    /// bound for this schedule. A job that never started is not in it (it counts as not completed).
    /// </summary>
    public TimeSpan MaxWait => Started.Count == 0 ? TimeSpan.Zero : Started[^1];

    /// <summary>Jobs that ran farther from their origin than their latency class allows (must be zero).</summary>
    public int LatencyViolations => Jobs.Count(j => j.LatencyViolation);

    /// <summary>Jobs that ran on borrowed capacity.</summary>
    public int JobsOnLoan => Jobs.Count(j => j.OnLoan);

    private List<TimeSpan> Started => field ??= [.. Jobs.Where(j => j.Wait is not null).Select(j => j.Wait!.Value).Order()];
}
