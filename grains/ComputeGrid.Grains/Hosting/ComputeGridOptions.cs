using ComputeGrid.Domain.Placement;
using Microsoft.Extensions.Options;

namespace ComputeGrid.Grains.Hosting;

/// <summary>ComputeGrid's settings (configuration section <c>ComputeGrid</c>; environment variables <c>ComputeGrid__Name</c>).</summary>
public sealed class ComputeGridOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "ComputeGrid";

    /// <summary>
    /// Path of the topology file (hubs, data centers, power and latency models). Relative paths resolve against the
    /// application's directory. Default: the national topology shipped with the silo.
    /// </summary>
    public string TopologyPath { get; set; } = "Topology/national.json";

    /// <summary>
    /// How often a region with waiting jobs retries its queue even without a capacity signal, as a safety net. Default 5 s;
    /// 100 ms..10 min.
    /// </summary>
    public TimeSpan QueueRetryInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How many ranked data centers placement tries for one job before it queues it. Default 8; 1..1000.</summary>
    public int MaxPlacementAttempts { get; set; } = 8;

    /// <summary>How many queued jobs one queue pass considers, in queue order. Default 256; 1..100000.</summary>
    public int QueueScanLimit { get; set; } = 256;

    /// <summary>
    /// Most submissions one placement batch carries to a region (the submissions that arrive while a batch is being
    /// placed go together in the next one; a lone submission goes at once). Default 256; 1..10000.
    /// </summary>
    public int PlacementBatchSize { get; set; } = 256;

    /// <summary>
    /// How long a submission waits for its tenant's index to list the job before it is acknowledged anyway (the job then
    /// sends the row again until the tenant confirms it). Listing before the acknowledgement keeps jobs submitted one after another listed in that order;
    /// a tenant that is slow to answer (reactivating after a silo's death reads its index shards back, or storage is
    /// slow) would otherwise hold every submission of that tenant for the whole response timeout. Past the wait, a
    /// listing read at once may miss the job for a moment. Default 2 s; 100 ms..30 s.
    /// </summary>
    public TimeSpan TenantListingWait { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// How often data centers and regions reconcile their records with the jobs' (restart executions lost with a silo,
    /// release reservations and drop placements whose job is elsewhere or gone, drive stuck jobs on). Default 10 s;
    /// 100 ms..10 min.
    /// </summary>
    public TimeSpan ReconcileInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// How many reconciliation passes in a row must find a record disagreeing with its job before it is repaired (the
    /// moment between a reservation and the job's assignment disagrees too, briefly). Default 3; 2..100.
    /// </summary>
    public int ReconcilePasses { get; set; } = 3;

    /// <summary>
    /// Most jobs one reconciliation pass of a data center or region reads; when it holds more, passes take turns over
    /// them, so a pass's cost stays bounded whatever the number of jobs held (a job is then looked at every
    /// held / ReconcileBatch passes). Default 500; 10..100,000.
    /// </summary>
    public int ReconcileBatch { get; set; } = 500;

    /// <summary>
    /// The period of the reminder that wakes every data center and region after a restart of the whole cluster (their
    /// timers live only while they are active). Default 1 min; 1 min..1 h.
    /// </summary>
    public TimeSpan WakeReminderPeriod { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// How long a job chosen to make room for a higher-priority one (preemption LowerPriority) keeps running before it is
    /// preempted and requeued, as a recalled loan's notice. Default 30 s; 0..1 h. A longer notice is kinder to the victim
    /// and keeps the waiting job waiting longer.
    /// </summary>
    public TimeSpan PreemptionNotice { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How a region's queue pass orders its waiting jobs and which it lets start: <c>Backfill</c> (default; fair-share
    /// order, and a later job starts only if it does not delay the head's earliest start, from declared run times),
    /// <c>FairShare</c> (fair-share order, first fit: a stream of small jobs can keep a big one waiting) or
    /// <c>StrictPriority</c> (priority then arrival, the pass stops at the first job it cannot place). docs/scheduling.md#backfill.
    /// </summary>
    public QueueDiscipline QueueDiscipline { get; set; } = QueueDiscipline.Backfill;

    /// <summary>
    /// How far ahead backfill plans, as Slurm's <c>bf_window</c> (default one day there and here; 1 min..30 days): a head
    /// whose earliest start lies further ahead protects nothing, and the next blocked job may be the head. Longer protects
    /// big jobs behind long-running work and keeps more capacity idle until their start; shorter is closer to first fit.
    /// </summary>
    public TimeSpan BackfillWindow { get; set; } = TimeSpan.FromDays(1);

    /// <summary>
    /// How long a GreenestPredictive job may wait in the queue for its greenest data center when that one is full (default
    /// 1 h; 0..7 days, 0 makes it Greenest). Longer saves more carbon under load (more work waits for clean capacity) and
    /// lengthens waits up to this bound; a job that has waited it takes the best place with room at its next pass.
    /// docs/scheduling.md#greenestpredictive.
    /// </summary>
    public TimeSpan PredictiveMaxWait { get; set; } = TimeSpan.FromHours(1);

    /// <summary>
    /// The least carbon saving, as a share of the carbon at the best place with room now, for which a GreenestPredictive
    /// job waits for its greenest data center (default 0.1; 0..1): below it, the wait is not worth it and the job spills.
    /// </summary>
    public double PredictiveMinSaving { get; set; } = 0.1;

    /// <summary>
    /// How far back a region counts the capacity-freed notices of a data center in its release rate, which predicts when
    /// a full data center has room again (default 1 h; 1 min..1 day). Longer is steadier, shorter follows load changes sooner.
    /// </summary>
    public TimeSpan PredictiveWindow { get; set; } = TimeSpan.FromHours(1);
}

/// <summary>Fails start-up with the option's name and the reason when <see cref="ComputeGridOptions"/> is out of range.</summary>
internal sealed class ComputeGridOptionsValidator : IValidateOptions<ComputeGridOptions>
{
    public ValidateOptionsResult Validate(string? name, ComputeGridOptions options)
    {
        var failures = new List<string>();
        if (string.IsNullOrWhiteSpace(options.TopologyPath))
        {
            failures.Add("ComputeGrid:TopologyPath must name a topology file");
        }

        if (options.QueueRetryInterval < TimeSpan.FromMilliseconds(100) || options.QueueRetryInterval > TimeSpan.FromMinutes(10))
        {
            failures.Add($"ComputeGrid:QueueRetryInterval must be between 00:00:00.1 and 00:10:00 (was {options.QueueRetryInterval})");
        }

        if (options.MaxPlacementAttempts is < 1 or > 1000)
        {
            failures.Add($"ComputeGrid:MaxPlacementAttempts must be between 1 and 1000 (was {options.MaxPlacementAttempts})");
        }

        if (options.PlacementBatchSize is < 1 or > 10_000)
        {
            failures.Add($"ComputeGrid:PlacementBatchSize must be between 1 and 10000 (was {options.PlacementBatchSize})");
        }

        if (options.TenantListingWait < TimeSpan.FromMilliseconds(100) || options.TenantListingWait > TimeSpan.FromSeconds(30))
        {
            failures.Add($"ComputeGrid:TenantListingWait must be between 00:00:00.1 and 00:00:30 (was {options.TenantListingWait})");
        }

        if (options.QueueScanLimit is < 1 or > 100_000)
        {
            failures.Add($"ComputeGrid:QueueScanLimit must be between 1 and 100000 (was {options.QueueScanLimit})");
        }

        if (options.ReconcileInterval < TimeSpan.FromMilliseconds(100) || options.ReconcileInterval > TimeSpan.FromMinutes(10))
        {
            failures.Add($"ComputeGrid:ReconcileInterval must be between 00:00:00.1 and 00:10:00 (was {options.ReconcileInterval})");
        }

        if (options.ReconcilePasses is < 2 or > 100)
        {
            failures.Add($"ComputeGrid:ReconcilePasses must be between 2 and 100 (was {options.ReconcilePasses})");
        }

        if (options.ReconcileBatch is < 10 or > 100_000)
        {
            failures.Add($"ComputeGrid:ReconcileBatch must be between 10 and 100000 (was {options.ReconcileBatch})");
        }

        if (options.WakeReminderPeriod < TimeSpan.FromMinutes(1) || options.WakeReminderPeriod > TimeSpan.FromHours(1))
        {
            failures.Add($"ComputeGrid:WakeReminderPeriod must be between 00:01:00 and 01:00:00 (was {options.WakeReminderPeriod})");
        }

        if (options.PreemptionNotice < TimeSpan.Zero || options.PreemptionNotice > TimeSpan.FromHours(1))
        {
            failures.Add($"ComputeGrid:PreemptionNotice must be between 00:00:00 and 01:00:00 (was {options.PreemptionNotice})");
        }

        if (!Enum.IsDefined(options.QueueDiscipline))
        {
            failures.Add($"ComputeGrid:QueueDiscipline must be one of {string.Join(", ", Enum.GetNames<QueueDiscipline>())} (was {(int)options.QueueDiscipline})");
        }

        if (options.BackfillWindow < TimeSpan.FromMinutes(1) || options.BackfillWindow > TimeSpan.FromDays(30))
        {
            failures.Add($"ComputeGrid:BackfillWindow must be between 00:01:00 and 30.00:00:00 (was {options.BackfillWindow})");
        }

        if (options.PredictiveMaxWait < TimeSpan.Zero || options.PredictiveMaxWait > TimeSpan.FromDays(7))
        {
            failures.Add($"ComputeGrid:PredictiveMaxWait must be between 00:00:00 and 7.00:00:00 (was {options.PredictiveMaxWait})");
        }

        if (!(options.PredictiveMinSaving is >= 0 and <= 1))
        {
            failures.Add($"ComputeGrid:PredictiveMinSaving must be between 0 and 1 (was {options.PredictiveMinSaving})");
        }

        if (options.PredictiveWindow < TimeSpan.FromMinutes(1) || options.PredictiveWindow > TimeSpan.FromDays(1))
        {
            failures.Add($"ComputeGrid:PredictiveWindow must be between 00:01:00 and 1.00:00:00 (was {options.PredictiveWindow})");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
