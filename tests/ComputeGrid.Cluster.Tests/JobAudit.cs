using ComputeGrid.Contracts.Jobs;
using ComputeGrid.Contracts.Pool;
using ComputeGrid.Domain.Jobs;

namespace ComputeGrid.Cluster.Tests;

/// <summary>
/// The verdict on a set of accepted jobs, read back from the cluster after the chaos. Every accepted job must be terminal
/// once, or still hold its place (Scheduled/Running at a data center, or Queued); none may have run twice; no data center
/// may hold more than its capacity.
/// </summary>
public sealed record JobAudit(
    int Accepted,
    int Terminal,
    int Running,
    int Queued,
    int Lost,
    int Duplicated,
    int Overcommitted,
    int LeakedReservations,
    IReadOnlyList<string> Findings)
{
    /// <summary>The data centers holding reservations no job of the run accounts for.</summary>
    public IReadOnlyList<string> LeakingDataCenters { get; init; } = [];

    /// <summary>Audits <paramref name="jobs"/> (null: the cluster does not know the job) against the data centers' state.</summary>
    /// <param name="jobs">Each accepted job id with what the cluster returns for it now.</param>
    /// <param name="dataCenters">Every data center's snapshot now.</param>
    /// <param name="reservationsBefore">Reservations each data center held before these jobs were submitted.</param>
    public static JobAudit Of(
        IReadOnlyDictionary<string, JobSnapshot?> jobs,
        IReadOnlyList<DataCenterSnapshot> dataCenters,
        IReadOnlyDictionary<string, int> reservationsBefore)
    {
        var findings = new List<string>();
        var notes = new List<string>(); // jobs legitimately still open, listed after the failures
        int terminal = 0, running = 0, queued = 0, lost = 0, duplicated = 0;
        var holding = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var (id, job) in jobs)
        {
            if (job is null || job.State is JobState.Pending or JobState.Preempted)
            {
                lost++;
                findings.Add($"lost: {id} is {job?.State.ToString() ?? "unknown to the cluster"}");
                continue;
            }

            if (RanTwice(job) is { } why)
            {
                duplicated++;
                findings.Add($"duplicated: {id}: {why}");
            }

            if (job.State.IsTerminal())
            {
                terminal++;
            }
            else if (job.State == JobState.Queued)
            {
                queued++;
                notes.Add($"still queued: {id}");
            }
            else if (job.State == JobState.Blocked)
            {
                // Waiting for a job that has not ended, or for its reminder after a nudge lost with a silo: holds nothing.
                queued++;
                notes.Add($"still blocked: {id}: {job.History[^1].Detail}");
            }
            else
            {
                running++;
                notes.Add($"still {job.State}: {id} at {job.Placement!.DataCenterId}");
                var dataCenter = job.Placement!.DataCenterId;
                holding[dataCenter] = holding.GetValueOrDefault(dataCenter) + 1;
            }
        }

        int overcommitted = 0, leaked = 0;
        var leaking = new List<string>();
        foreach (var dataCenter in dataCenters)
        {
            var id = dataCenter.Spec.Id;
            if (!dataCenter.Used.IsWithin(dataCenter.Spec.Capacity))
            {
                overcommitted++;
                findings.Add($"overcommitted: {id} uses {dataCenter.Used} of {dataCenter.Spec.Capacity}");
            }

            if (dataCenter.Reservations < 0)
            {
                // Its record lists more loan slices than its ledger holds: capacity it lent is free for its own jobs too.
                overcommitted++;
                findings.Add($"overcommitted: {id} lists loan slices its ledger does not hold (reservations {dataCenter.Reservations})");
            }

            var placedThere = holding.GetValueOrDefault(id);
            var expected = reservationsBefore.GetValueOrDefault(id) + placedThere;
            if (Math.Max(0, dataCenter.Reservations) < placedThere)
            {
                lost += placedThere - Math.Max(0, dataCenter.Reservations);
                findings.Add($"lost: {id} holds {dataCenter.Reservations} reservations for {placedThere} jobs placed there");
            }
            else if (dataCenter.Reservations > expected)
            {
                leaked += dataCenter.Reservations - expected;
                leaking.Add(id);
                findings.Add($"leaked: {id} holds {dataCenter.Reservations - expected} reservations no live job of the run accounts for");
            }
        }

        return new JobAudit(jobs.Count, terminal, running, queued, lost, duplicated, overcommitted, leaked, [.. findings, .. notes]) { LeakingDataCenters = leaking };
    }

    /// <summary>Why the job's history shows it ran twice, or null: more than one terminal event, or within one run (between
    /// preemptions) more than one Running event or two data centers.</summary>
    public static string? RanTwice(JobSnapshot job)
    {
        var history = job.History;
        if (history.Count(e => e.State.IsTerminal()) > 1)
        {
            return "ended more than once";
        }

        // A preemption (a recalled loan) legitimately ends one run; within a run, a job runs once, in one data center.
        var run = new List<JobEvent>();
        foreach (var e in history.Append(new JobEvent(job.JobId, 0, JobState.Preempted, default, null, "end")))
        {
            if (e.State != JobState.Preempted)
            {
                run.Add(e);
                continue;
            }

            if (run.Count(r => r.State == JobState.Running) > 1)
            {
                return "entered Running more than once without a preemption in between";
            }

            if (run.Where(r => r.State is JobState.Scheduled or JobState.Running).Select(r => r.DataCenterId).Distinct().Count() > 1)
            {
                return "scheduled in more than one data center without a preemption in between";
            }

            run.Clear();
        }

        for (var i = 0; i < history.Count; i++)
        {
            if (history[i].Sequence != i + 1)
            {
                return $"event {i + 1} has sequence {history[i].Sequence}";
            }
        }

        return null;
    }
}
