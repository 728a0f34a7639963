using System.Diagnostics;
using ComputeGrid.Client;
using ComputeGrid.Domain.Accounting;
using ComputeGrid.Domain.Placement;
using ComputeGrid.Domain.Topology;
using ComputeGrid.Replay.Mapping;
using ComputeGrid.Replay.Traces;

namespace ComputeGrid.Replay.Running;

/// <summary>How a replay runs, apart from the trace and the policy.</summary>
/// <param name="Mapper">How trace jobs become requests.</param>
/// <param name="Start">Where the virtual clock starts (the trace's time zero).</param>
/// <param name="Settle">
/// How long, on the wall clock, the driver lets newly waiting jobs be placed (a loan negotiated) before it moves the
/// virtual clock on; jobs still waiting then wait in virtual time too. Default 300 ms.
/// </param>
/// <param name="Budget">Wall-clock budget per policy; jobs not ended by then are reported as not completed. Default 10 min.</param>
/// <param name="Samples">Utilisation samples over the trace's span. Default 200.</param>
public sealed record ReplaySettings(JobMapper Mapper, DateTimeOffset Start, TimeSpan Settle, TimeSpan Budget, int Samples = 200)
{
    /// <summary>
    /// How often the federation's loan streams poll for messages, wall clock. Default 5 ms: every hop of a loan
    /// negotiation waits for a poll while the virtual clock stands still, and Orleans' default (100 ms) made a replay
    /// with one loan per job spend most of its time there.
    /// </summary>
    public TimeSpan StreamPoll { get; init; } = TimeSpan.FromMilliseconds(5);

    /// <summary>The longest a borrowing hub collects offers, wall clock; it closes earlier once every asked peer answered. Default 200 ms.</summary>
    public TimeSpan OfferWindow { get; init; } = TimeSpan.FromMilliseconds(200);

    /// <summary>The hubs' <c>LoanOptions.ArrivalWindow</c> (federation clock): how far back arrivals size a loan; zero sizes loans by the waiting jobs alone. Default 10 min, as shipped.</summary>
    public TimeSpan ArrivalWindow { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>
    /// The topology trace jobs are mapped on (origin hubs by GPU model); null for the replayed one. A loaded replay maps on
    /// the full topology so that every load gives each job the same origin.
    /// </summary>
    public NationalTopology? MappingTopology { get; init; }

    /// <summary>
    /// How long, on the virtual clock, the replay goes on after the last submission while jobs wait and none runs (the
    /// federation may place them once offers lapse and loans expire); those still waiting then count as not completed.
    /// Default 1 day.
    /// </summary>
    public TimeSpan IdleLimit { get; init; } = TimeSpan.FromDays(1);

    /// <summary>The queue discipline the federation's regions run (<c>ComputeGrid:QueueDiscipline</c>). Default backfill, the federation's own default.</summary>
    public QueueDiscipline Discipline { get; init; } = QueueDiscipline.Backfill;

    /// <summary>How long a GreenestPredictive job may wait for its full greenest data center (<c>ComputeGrid:PredictiveMaxWait</c>, federation clock). Default 1 h, as shipped.</summary>
    public TimeSpan PredictiveMaxWait { get; init; } = TimeSpan.FromHours(1);

    /// <summary>Defaults for a mapper.</summary>
    public static ReplaySettings For(JobMapper mapper) =>
        new(mapper, new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero), TimeSpan.FromMilliseconds(300), TimeSpan.FromMinutes(10));
}

/// <summary>
/// Replays trace jobs through a fresh federation under one policy. The virtual clock jumps from event to event (the next
/// submission, the next job end, the next sample) and stands still while grains react, so run and wait times are exact.
/// </summary>
public sealed class ReplayRunner(NationalTopology topology, ReplaySettings settings)
{
    private readonly IReadOnlyList<string> _hubs = [.. topology.Hubs.Keys.Order(StringComparer.Ordinal)];

    /// <summary>Replays <paramref name="jobs"/> (in submission order) under <paramref name="policy"/>.</summary>
    /// <param name="jobs">The trace jobs.</param>
    /// <param name="policy">The policy.</param>
    /// <param name="progress">Called with the number of jobs submitted so far.</param>
    /// <param name="cancellationToken">Cancels the replay.</param>
    public async Task<PolicyResult> RunAsync(IReadOnlyList<TraceJob> jobs, ReplayPolicy policy, Action<int>? progress, CancellationToken cancellationToken)
    {
        var wall = Stopwatch.StartNew();
        var phases = new PhaseClock();
        await using var federation = await ReplayFederation.StartAsync(topology, settings.Start, policy.LoansEnabled(), settings.StreamPoll, settings.OfferWindow, settings.ArrivalWindow, settings.Discipline, settings.PredictiveMaxWait, cancellationToken);
        phases.Lap(Phase.Startup);
        var time = federation.Time;
        var executor = federation.Executor;
        var span = jobs.Count == 0 ? TimeSpan.Zero : jobs.Max(j => j.Submit + j.RunTime);
        var sampleEvery = TimeSpan.FromTicks(Math.Max(TimeSpan.TicksPerSecond, span.Ticks / Math.Max(1, settings.Samples)));
        var nextSample = settings.Start;
        var samples = new List<UtilisationSample>();
        var accepted = new List<(string JobId, JobRequest Request)>();
        int next = 0, rejected = 0;
        long lastWaiting = 0;
        var timedOut = false;

        DateTimeOffset? idleSince = null;
        while (next < jobs.Count || executor.NextEnd is not null || Waiting(accepted.Count, executor, time.GetUtcNow(), ref idleSince))
        {
            if (wall.Elapsed > settings.Budget)
            {
                timedOut = true;
                break;
            }

            if (next < jobs.Count || executor.NextEnd is not null)
            {
                idleSince = null;
            }

            var due = Min(next < jobs.Count ? settings.Start + jobs[next].Submit : null, executor.NextEnd, nextSample);
            var finished = executor.Finished;
            if (due > time.GetUtcNow())
            {
                time.SetUtcNow(due);
            }

            await QuietAsync(executor, cancellationToken);
            if (executor.Finished != finished && accepted.Count - executor.Started > 0)
            {
                // Jobs ended and others wait: the capacity they freed goes to the waiting jobs before the clock moves on.
                await federation.QueuePassesAsync(cancellationToken);
                await QuietAsync(executor, cancellationToken);
            }

            phases.Lap(Phase.Events);
            if (time.GetUtcNow() >= nextSample)
            {
                samples.Add(await SampleAsync(federation.Grid, time.GetUtcNow() - settings.Start, cancellationToken));
                nextSample += sampleEvery;
                phases.Lap(Phase.Sampling);
            }

            while (next < jobs.Count && settings.Start + jobs[next].Submit <= time.GetUtcNow())
            {
                var request = settings.Mapper.ToRequest(jobs[next], next, policy, settings.MappingTopology ?? topology, _hubs);
                try
                {
                    await federation.Grid.SubmitAsync(request, cancellationToken);
                    accepted.Add((request.JobId!, request));
                }
                catch (Exception e) when (e is JobRejectedException or ComputeGridValidationException)
                {
                    rejected++;
                }

                next++;
            }

            phases.Lap(Phase.Submitting);
            progress?.Invoke(next);
            lastWaiting = await SettleAsync(executor, accepted.Count, idleSince is null ? lastWaiting : -1, cancellationToken);
            phases.Lap(Phase.Settling);
        }

        var outcomes = new List<JobOutcome>(accepted.Count);
        foreach (var (jobId, request) in accepted)
        {
            outcomes.Add(Outcome(await federation.Grid.GetJobAsync(jobId, cancellationToken), request, time.GetUtcNow()));
        }

        var pool = await federation.Grid.GetPoolAsync(cancellationToken);
        var balances = await federation.Grid.GetHubBalancesAsync(cancellationToken);
        phases.Lap(Phase.Collecting);
        return new PolicyResult(policy, next, rejected, outcomes, pool.Executed, balances.Sum(b => b.LoansBorrowed), samples, wall.Elapsed, timedOut)
        {
            Phases = phases.Totals,
            Discipline = settings.Discipline,
        };
    }

    // Jobs still wait after the last submission with nothing running: the federation needs virtual time to pass (offers
    // lapse, asks back off, loans expire) before it can place them, so the clock moves on by samples for up to IdleLimit.
    private bool Waiting(int accepted, ReplayExecutor executor, DateTimeOffset now, ref DateTimeOffset? idleSince)
    {
        if (accepted - executor.Started <= 0)
        {
            return false;
        }

        idleSince ??= now;
        return now - idleSince.Value < settings.IdleLimit;
    }

    private static DateTimeOffset Min(DateTimeOffset? a, DateTimeOffset? b, DateTimeOffset c) =>
        new[] { a, b, c }.Where(x => x is not null).Min()!.Value;

    private static async Task QuietAsync(ReplayExecutor executor, CancellationToken cancellationToken)
    {
        while (executor.InFlight > 0)
        {
            await Task.Delay(1, cancellationToken);
        }
    }

    // Jobs that wait because their hub is negotiating a loan get the settle time to be placed; jobs that already waited
    // through one settle (a genuinely full pool) are not waited for again, so a long queue does not slow the replay.
    private async Task<long> SettleAsync(ReplayExecutor executor, int accepted, long lastWaiting, CancellationToken cancellationToken)
    {
        await QuietAsync(executor, cancellationToken);
        var waiting = accepted - executor.Started;
        if (waiting <= lastWaiting)
        {
            return Math.Max(0, waiting);
        }

        var quietSince = Stopwatch.StartNew();
        var started = executor.Started;
        while (accepted - executor.Started > 0 && quietSince.Elapsed < settings.Settle)
        {
            await Task.Delay(2, cancellationToken);
            if (executor.Started != started)
            {
                started = executor.Started;
                quietSince.Restart();
            }
        }

        await QuietAsync(executor, cancellationToken);
        return Math.Max(0, accepted - executor.Started);
    }

    private async Task<UtilisationSample> SampleAsync(IComputeGridClient grid, TimeSpan at, CancellationToken cancellationToken)
    {
        var pool = await grid.GetPoolAsync(cancellationToken);
        var cpu = new Dictionary<string, double>(StringComparer.Ordinal);
        var gpu = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var hub in pool.Hubs)
        {
            cpu[hub.Hub.Id] = hub.Capacity.CpuMillicores == 0 ? 0 : (double)hub.Used.CpuMillicores / hub.Capacity.CpuMillicores;
            gpu[hub.Hub.Id] = hub.Capacity.TotalGpus == 0 ? 0 : (double)hub.Used.TotalGpus / hub.Capacity.TotalGpus;
        }

        return new UtilisationSample(at, cpu, gpu);
    }

    private JobOutcome Outcome(Contracts.Jobs.JobSnapshot job, JobRequest request, DateTimeOffset now)
    {
        var placement = job.Placement;
        var ran = job.StartedAt is { } started ? (job.FinishedAt ?? now) - started : TimeSpan.Zero;
        var bound = JobMapper.LatencyBoundMs(request.LatencyClass);
        var ranAnywhere = job.StartedAt is not null && placement is not null;
        return new JobOutcome(
            job.JobId,
            request.OriginHub,
            ranAnywhere ? placement!.HubId : null,
            job.State,
            job.StartedAt - job.SubmittedAt,
            job.Actual ?? Footprint.Zero,
            ranAnywhere && bound is { } b && placement!.LatencyMs > b,
            ranAnywhere ? request.CpuMillicores / 1000.0 * ran.TotalHours : 0,
            ranAnywhere ? request.Gpus * ran.TotalHours : 0,
            ranAnywhere && placement!.LoanId is not null);
    }
}
