using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using ComputeGrid.Client;
using ComputeGrid.Contracts.JobArrays;
using ComputeGrid.Domain.JobArrays;
using ComputeGrid.Contracts.Jobs;
using ComputeGrid.Domain.Jobs;
using Xunit.Abstractions;

namespace ComputeGrid.Cluster.Tests;

[Collection(ClusterCollection.Name)]
public sealed class ChaosTests(ClusterFixture cluster, ITestOutputHelper output)
{
    private static readonly string[] Hubs = ["bth", "yangtze", "gba", "chengyu", "inner-mongolia", "guizhou", "gansu", "ningxia"];
    private static readonly TimeSpan FaultInterval = TimeSpan.FromSeconds(3);
    private static readonly TimeSpan SubmitPhaseLimit = TimeSpan.FromSeconds(Setting("CHAOS_SUBMIT_SECONDS", 90));
    private static readonly TimeSpan RecoveryLimit = TimeSpan.FromSeconds(180);

    /// <summary>How long a leaked reservation may take to be released: the data centers' reconciliation passes (3 x 10 s) and then some.</summary>
    /// <remarks>
    /// 90 s: a reservation made by a region batch whose write died with its silo is released only once the data center's
    /// reconciliation judged it suspect for ReconcilePasses passes (3 x 10 s) and the job confirmed it holds nothing there,
    /// and a data center holding hundreds of queued-behind jobs gets to it in turns.
    /// </remarks>
    private static readonly TimeSpan LeakGrace = TimeSpan.FromSeconds(90);

    /// <summary>
    /// How long one recovery probe (a submission, then a read of the whole pool) may take before it is tried again: the
    /// submissions keep the cluster busy, so a healthy cluster may take several seconds to accept one more job.
    /// </summary>
    private static readonly TimeSpan ProbeAttemptLimit = TimeSpan.FromSeconds(60);
    private readonly Stopwatch _clock = Stopwatch.StartNew();

    /// <summary>Every single-job submission: when it started and ended on the test's clock, and the faults the SDK surfaced to it.</summary>
    private readonly ConcurrentBag<ClientCall> _calls = [];

    /// <summary>Each fault's timeline, in order.</summary>
    private readonly ConcurrentQueue<FaultTimeline> _timelines = new();

    /// <summary>
    /// Jobs to submit (<c>CHAOS_JOBS</c>, default 3000); the submission phase (<c>CHAOS_SUBMIT_SECONDS</c>, default 90)
    /// bounds the test's time, and jobs not accepted within it are not counted as accepted.
    /// </summary>
    private static int JobCount => Setting("CHAOS_JOBS", 3000);

    /// <summary>Job arrays submitted alongside the single jobs (<c>CHAOS_ARRAYS</c>, default 10), each of <c>CHAOS_ARRAY_SIZE</c> elements (default 200).</summary>
    private static int ArrayCount => Setting("CHAOS_ARRAYS", 10, minimum: 0);

    private static int ArraySize => Setting("CHAOS_ARRAY_SIZE", 200);

    /// <summary>Jobs that depend (afterany) on one of the first single jobs (<c>CHAOS_DEPENDENTS</c>, default 100), each submitted once its target was accepted.</summary>
    private static int DependentCount => Setting("CHAOS_DEPENDENTS", 100, minimum: 0);

    /// <summary>Gangs of <see cref="GangSize"/> members submitted alongside (<c>CHAOS_GANGS</c>, default 10): none may ever be placed partly.</summary>
    private static int GangCount => Setting("CHAOS_GANGS", 10, minimum: 0);

    private const int GangSize = 4;

    [Fact, Trait("Category", "Chaos")]
    public async Task Crashing_silos_a_whole_zone_and_storage_loses_no_accepted_job_runs_none_twice_or_before_its_dependency_and_overcommits_no_data_center()
    {
        var before = (await Retry(ct => cluster.Grid.GetPoolAsync(ct))).Hubs.SelectMany(h => h.DataCenters).ToDictionary(d => d.Spec.Id, d => d.Reservations, StringComparer.Ordinal);
        var accepted = new ConcurrentDictionary<string, bool>(StringComparer.Ordinal);
        var run = $"{DateTime.UtcNow:HHmmss}";

        var phase = Stopwatch.StartNew();
        var dependents = new ConcurrentDictionary<string, string>(StringComparer.Ordinal);
        var gangs = new ConcurrentDictionary<string, bool>(StringComparer.Ordinal);
        var submitting = Task.WhenAll(SubmitAllAsync(run, accepted), SubmitArraysAsync(run, accepted), SubmitDependentsAsync(run, accepted, dependents), SubmitGangsAsync(run, gangs));
        await RunFaultsAsync(run, submitting, accepted);
        await submitting;
        var acceptedPerSecond = accepted.Count / Math.Min(phase.Elapsed.TotalSeconds, SubmitPhaseLimit.TotalSeconds);
        await WaitAllHealthyRestartingAsync();
        Log($"{accepted.Count} jobs accepted; waiting for them to finish");

        // A submission abandoned when the phase ended may still have been placed by the cluster: audit those too (one
        // left Pending was never accepted; only a retry of the same submission, or reconciliation, drives it on).
        foreach (var (id, job) in await ReadAsync([.. Enumerable.Range(0, JobCount).Select(i => Job(run, i).JobId!).Where(id => !accepted.ContainsKey(id))]))
        {
            if (job is { State: not JobState.Pending })
            {
                accepted[id] = true;
            }
        }

        // An array whose acknowledgement was lost may still have been stored: its elements are accepted jobs then.
        foreach (var arrayId in Enumerable.Range(0, ArrayCount).Select(a => ArrayId(run, a)).Where(a => !accepted.ContainsKey(JobArrayRules.ElementId(a, 0))))
        {
            var stored = await Retry(async ct =>
            {
                try
                {
                    return (JobArraySnapshot?)await cluster.Grid.GetArrayAsync(arrayId, ct);
                }
                catch (ComputeGridNotFoundException)
                {
                    return null;
                }
            });
            if (stored is not null)
            {
                AcceptElements(arrayId, accepted);
            }
        }

        var jobs = await SettleAsync([.. accepted.Keys]);
        var audit = await AuditAsync(jobs, before);
        var early = DependencyViolations(jobs, dependents);
        var partial = await PartlyPlacedGangsAsync([.. gangs.Keys]);
        var sorted = _timelines.Select(t => t.Recovery ?? RecoveryLimit).Order().ToList();
        var client = ClientView.Of(_calls, [.. _timelines]);
        var line = string.Create(CultureInfo.InvariantCulture,
            $"chaos: accepted={audit.Accepted} terminal={audit.Terminal} lost={audit.Lost} duplicated={audit.Duplicated} overcommitted={audit.Overcommitted} " +
            $"leaked={audit.LeakedReservations} accepted_per_s={acceptedPerSecond:0.0} recovery_p50={sorted[sorted.Count / 2].TotalSeconds:0.0}s recovery_max={sorted[^1].TotalSeconds:0.0}s " +
            $"client_failed={client.Failed} client_p99_wait={client.P99Wait.TotalSeconds:0.0}s");
        var timelines = _timelines.Select((t, n) => t.Describe($"#{n + 1} {t.Fault}")).ToList();
        var targets = Targets([.. _timelines]);
        var details = string.Create(CultureInfo.InvariantCulture,
            $"submitted={JobCount} arrays={ArrayCount}x{ArraySize} dependents={dependents.Count} ran_early={early.Count} gangs={gangs.Count} partial={partial.Count} still_running={audit.Running} queued={audit.Queued} leaked_reservations={audit.LeakedReservations} faults={sorted.Count} " +
            $"recoveries=[{string.Join(", ", sorted.Select(r => r.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture)))}]s");
        output.WriteLine(line);
        output.WriteLine(details);
        output.WriteLine(client.Describe());
        timelines.ForEach(output.WriteLine);
        targets.ForEach(output.WriteLine);
        foreach (var violation in early.Concat(partial).Take(20))
        {
            output.WriteLine(violation);
        }

        foreach (var finding in audit.Findings.Take(50))
        {
            output.WriteLine(finding);
        }

        var artifacts = Path.Combine(ClusterFixture.RepositoryRoot, "artifacts");
        Directory.CreateDirectory(artifacts);
        await File.WriteAllLinesAsync(Path.Combine(artifacts, "chaos-report.txt"), [line, details, client.Describe(), .. timelines, .. targets, .. early, .. partial, .. audit.Findings, .. await LoanSliceCluesAsync(audit.LeakingDataCenters, jobs)]);

        Assert.True(audit.Accepted > 0, "no submission was accepted");
        Assert.Equal(0, audit.Lost);
        Assert.Equal(0, audit.Duplicated);
        Assert.Equal(0, audit.Overcommitted);
        Assert.Empty(early);
        Assert.Empty(partial);
    }

    /// <summary>Submits <see cref="GangCount"/> gangs of <see cref="GangSize"/> members during the faults, each retried (same id) until accepted.</summary>
    private async Task SubmitGangsAsync(string run, ConcurrentDictionary<string, bool> gangs)
    {
        await Task.WhenAll(Enumerable.Range(0, GangCount).Select(async g =>
        {
            // CPU members: a gang is placed in its origin hub only (no loans), and not every hub has every GPU model.
            var request = new GangRequest { GangId = $"chaos-{run}-gang{g}", Members = GangSize, Template = Job(run, g) with { JobId = null, Gpus = 0, GpuModel = null } };
            try
            {
                await Retry(ct => cluster.Grid.SubmitGangAsync(request, ct), SubmitPhaseLimit);
                gangs[request.GangId!] = true;
            }
            catch (Exception e) when (e is not (ComputeGridValidationException or JobConflictException))
            {
                // Not accepted within the phase: not counted.
            }
        }));
        Log($"{gangs.Count} gangs accepted");
    }

    /// <summary>
    /// Every placement attempt of every gang in which some members were ever placed and others never were, once the gangs
    /// ended (or two minutes passed for all of them together): a gang is placed whole or not at all.
    /// </summary>
    private async Task<List<string>> PartlyPlacedGangsAsync(IReadOnlyList<string> gangIds)
    {
        var partial = new List<string>();

        // One deadline for all the gangs (not one each): the test's time stays bounded however many are still waiting.
        var deadline = Stopwatch.StartNew();
        foreach (var gangId in gangIds)
        {
            var gang = await Retry(ct => cluster.Grid.GetGangAsync(gangId, ct));
            while (!gang.State.IsTerminal() && deadline.Elapsed < TimeSpan.FromMinutes(2))
            {
                await Task.Delay(TimeSpan.FromMilliseconds(500));
                gang = await Retry(ct => cluster.Grid.GetGangAsync(gangId, ct));
            }

            for (var attempt = 0; attempt <= gang.Attempt; attempt++)
            {
                var ids = Enumerable.Range(0, gang.Members).Select(i => Domain.Gangs.GangRules.MemberId(gangId, i, attempt)).ToList();
                var placed = 0;
                foreach (var id in ids)
                {
                    var member = await Retry(async ct =>
                    {
                        try
                        {
                            return (JobSnapshot?)await cluster.Grid.GetJobAsync(id, ct);
                        }
                        catch (ComputeGridNotFoundException)
                        {
                            return null;
                        }
                    });
                    placed += member?.History.Any(e => e.State == JobState.Scheduled) == true ? 1 : 0;
                }

                // The gang's last attempt may still be placing its members when it was cancelled or the wait ended.
                if (placed > 0 && placed < gang.Members && (attempt < gang.Attempt || gang.State is JobState.Scheduled or JobState.Running or JobState.Succeeded))
                {
                    partial.Add($"partly placed: gang {gangId} attempt {attempt}: {placed} of {gang.Members} members placed ({gang.State})");
                }
            }
        }

        return partial;
    }

    /// <summary>
    /// Submits <see cref="DependentCount"/> jobs, each waiting (afterany) for one of the single jobs of its tenant, once
    /// that job was accepted; retried (same id) until accepted. Records which job each waits for.
    /// </summary>
    private async Task SubmitDependentsAsync(string run, ConcurrentDictionary<string, bool> accepted, ConcurrentDictionary<string, string> dependents)
    {
        var phase = Stopwatch.StartNew();

        // The first single jobs: they are submitted first, so their dependents are submitted while faults happen.
        await Task.WhenAll(Enumerable.Range(0, Math.Min(DependentCount, JobCount)).Select(async k =>
        {
            var target = Job(run, k);
            var request = target with
            {
                JobId = $"chaos-{run}-dep{k}",
                DependsOn = [new JobDependency(DependencyCondition.AfterAny, target.JobId!)],
            };
            try
            {
                while (!accepted.ContainsKey(target.JobId!))
                {
                    if (phase.Elapsed > SubmitPhaseLimit)
                    {
                        return;
                    }

                    await Task.Delay(TimeSpan.FromMilliseconds(200));
                }

                var left = SubmitPhaseLimit - phase.Elapsed;
                if (left > TimeSpan.Zero)
                {
                    await Retry(ct => cluster.Grid.SubmitAsync(request, ct), left);
                    dependents[request.JobId!] = target.JobId!;
                    accepted[request.JobId!] = true;
                }
            }
            catch (Exception e) when (e is not (ComputeGridValidationException or JobConflictException))
            {
                // Not accepted within the phase: not counted.
            }
        }));
        Log($"{dependents.Count} dependent jobs accepted");
    }

    /// <summary>Every dependent placed before the job it waits for had ended, or ended Unsatisfiable (afterany always holds once the target ends).</summary>
    private static List<string> DependencyViolations(IReadOnlyDictionary<string, JobSnapshot?> jobs, IReadOnlyDictionary<string, string> dependents)
    {
        var violations = new List<string>();
        foreach (var (id, targetId) in dependents)
        {
            if (jobs.GetValueOrDefault(id) is not { } job)
            {
                continue;
            }

            var placed = job.History.FirstOrDefault(e => e.State == JobState.Scheduled);
            var ended = jobs.GetValueOrDefault(targetId)?.History.FirstOrDefault(e => e.State.IsTerminal());
            if (job.State == JobState.Unsatisfiable)
            {
                violations.Add($"unsatisfiable: {id} after {targetId}: {job.History[^1].Detail}");
            }
            else if (placed is not null && (ended is null || placed.At < ended.At))
            {
                violations.Add($"ran early: {id} placed at {placed.At:O}, {targetId} {(ended is null ? "has not ended" : $"ended at {ended.At:O}")}");
            }
        }

        return violations;
    }

    /// <summary>Submits <see cref="JobCount"/> small jobs from every hub, 32 at a time, retrying each (same id) until accepted.</summary>
    private async Task SubmitAllAsync(string run, ConcurrentDictionary<string, bool> accepted)
    {
        using var gate = new SemaphoreSlim(32);
        var phase = Stopwatch.StartNew();
        var tasks = Enumerable.Range(0, JobCount).Select(async i =>
        {
            await gate.WaitAsync();
            try
            {
                var request = Job(run, i);
                var left = SubmitPhaseLimit - phase.Elapsed;
                if (left > TimeSpan.Zero)
                {
                    var started = _clock.Elapsed;
                    var faults = 0;
                    try
                    {
                        // One SDK call per attempt, limited only by the phase: the SDK retries transient faults itself, so
                        // every exception it surfaces is a failure the caller saw (counted), and a retry here resubmits.
                        await Retry(ct => cluster.Grid.SubmitAsync(request, ct), left, attemptLimit: left, onFault: () => faults++);
                        accepted[request.JobId!] = true;
                        _calls.Add(new ClientCall(started, _clock.Elapsed, faults));
                    }
                    catch (Exception e) when (e is not (ComputeGridValidationException or JobConflictException))
                    {
                        // Not accepted within the phase (abandoned when the phase ended): counted as unfinished.
                        _calls.Add(new ClientCall(started, null, faults));
                    }
                }
            }
            finally
            {
                gate.Release();
            }
        });
        await Task.WhenAll(tasks);
        Log($"{accepted.Count} of {JobCount} submissions accepted");
    }

    /// <summary>
    /// Submits <see cref="ArrayCount"/> arrays of <see cref="ArraySize"/> elements shaped as the single jobs, 2 at a time,
    /// retrying each (same id) until accepted; an accepted array's elements are all accepted jobs.
    /// </summary>
    private async Task SubmitArraysAsync(string run, ConcurrentDictionary<string, bool> accepted)
    {
        using var gate = new SemaphoreSlim(2);
        var phase = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, ArrayCount).Select(async a =>
        {
            await gate.WaitAsync();
            try
            {
                var request = new JobArrayRequest { ArrayId = ArrayId(run, a), Template = Job(run, a) with { JobId = null }, Count = ArraySize };
                var left = SubmitPhaseLimit - phase.Elapsed;
                if (left > TimeSpan.Zero)
                {
                    await Retry(ct => cluster.Grid.SubmitArrayAsync(request, ct), left);
                    AcceptElements(request.ArrayId!, accepted);
                }
            }
            catch (Exception e) when (e is not (ComputeGridValidationException or JobConflictException))
            {
                // Not accepted within the phase: looked up again before the audit.
            }
            finally
            {
                gate.Release();
            }
        }));
        Log($"{accepted.Count(a => a.Key.StartsWith($"chaos-{run}-array", StringComparison.Ordinal))} array elements accepted");
    }

    private static string ArrayId(string run, int a) => $"chaos-{run}-array{a}";

    private static void AcceptElements(string arrayId, ConcurrentDictionary<string, bool> accepted)
    {
        for (var i = 0; i < ArraySize; i++)
        {
            accepted[JobArrayRules.ElementId(arrayId, i)] = true;
        }
    }

    /// <summary>
    /// A fault a few seconds after the cluster recovered from the previous one: kill -9 of a random healthy silo (restarted
    /// at once), once both east silos together, once Azurite. Runs at least those faults and continues while submissions
    /// are under way. After each fault, measures the
    /// recovery: the time until a new job is accepted and the whole pool (every region and data center) answers again.
    /// </summary>
    private async Task RunFaultsAsync(string run, Task submitting, ConcurrentDictionary<string, bool> accepted)
    {
        var planned = new Queue<string>(["silo", "east-zone", "silo", "azurite", "silo"]);
        var random = new Random(20261125);
        var measuring = new List<Task>();
        // Faults start once submissions flow (5% accepted) or after 30 s, whichever comes first: on a saturated machine
        // the faults must still happen within the submission phase.
        var flowing = Stopwatch.StartNew();
        while (accepted.Count < JobCount / 20 && !submitting.IsCompleted && flowing.Elapsed < TimeSpan.FromSeconds(30))
        {
            await Task.WhenAny(submitting, Task.Delay(TimeSpan.FromMilliseconds(500)));
        }
        for (var n = 0; planned.Count > 0 || !submitting.IsCompleted; n++)
        {
            // The next fault comes a few seconds after the cluster recovered from the last one: on 2 shared cores a silo
            // takes 10-60 s to start, and faults faster than that would only measure a cluster that never stands.
            await Task.WhenAll(measuring);
            await WaitAllHealthyRestartingAsync();
            using (var pause = new PeriodicTimer(FaultInterval))
            {
                await pause.WaitForNextTickAsync();
            }

            foreach (var exited in cluster.Processes.Silos.Where(s => !cluster.Processes.IsRunning(s)).ToList())
            {
                Log($"{exited} exited by itself (see its log); restarting it");
                cluster.Processes.StartSilo(exited, exited[..4]);
            }

            Log($"{accepted.Count} accepted so far");
            var fault = planned.Count > 0 ? planned.Dequeue() : "silo";
            string[] victims;
            switch (fault)
            {
                case "east-zone":
                    victims = ClusterFixture.East;
                    break;
                case "azurite":
                    victims = [];
                    break;
                default:
                    // A random silo among those that finished starting, so each crash hits a working member.
                    var healthy = new List<string>();
                    foreach (var name in cluster.Processes.Silos)
                    {
                        if (await cluster.Processes.HealthAsync(name) == "Healthy")
                        {
                            healthy.Add(name);
                        }
                    }

                    if (healthy.Count == 0)
                    {
                        Log("no healthy silo to kill this time");
                        continue;
                    }

                    victims = [healthy[random.Next(healthy.Count)]];
                    break;
            }

            // What the victims host, sampled before the fault: the timeline then times those grains answering again.
            var timeline = await FaultTimeline.BeforeAsync(cluster.Orleans, fault, [.. victims.Select(cluster.Processes.SiloPort)], () => _clock.Elapsed);
            if (fault == "azurite")
            {
                Log("restart Azurite (SIGTERM: the emulator loses acknowledged writes on SIGKILL, Azure Storage does not)");
                await cluster.Processes.StopAsync("azurite");
                await cluster.Processes.StartAzuriteAsync(CancellationToken.None);
                timeline.Reached("storage", _clock.Elapsed);
            }
            else
            {
                Log($"kill -9 {string.Join(" and ", victims)}{(fault == "east-zone" ? " (the whole east zone)" : string.Empty)}");
                foreach (var name in victims)
                {
                    cluster.Processes.Kill(name);
                }

                foreach (var name in victims)
                {
                    cluster.Processes.StartSilo(name, name[..4]);
                }
            }

            _timelines.Enqueue(timeline);
            measuring.Add(MeasureRecoveryAsync(timeline, Job(run, -1 - n), accepted));
        }

        await Task.WhenAll(measuring);
    }

    /// <summary>
    /// The recovery: a new job accepted, then the whole pool answering; meanwhile the timeline's other milestones (death
    /// declared, grains served again per kind, streams delivering).
    /// </summary>
    private async Task MeasureRecoveryAsync(FaultTimeline timeline, JobRequest probe, ConcurrentDictionary<string, bool> accepted)
    {
        var milestones = timeline.MeasureAsync(cluster.Orleans, () => _clock.Elapsed, RecoveryLimit);
        await Retry(async ct =>
        {
            await cluster.Grid.SubmitAsync(probe, ct);
            accepted[probe.JobId!] = true;
            timeline.Reached("submit", _clock.Elapsed);
            await cluster.Grid.GetPoolAsync(ct);
            timeline.Reached("pool", _clock.Elapsed);
            return true;
        }, RecoveryLimit, attemptLimit: ProbeAttemptLimit);
        await milestones;
        Log($"recovered from {timeline.Fault} in {timeline.Recovery?.TotalSeconds ?? double.NaN:0.0}s; {timeline.Describe(timeline.Fault)}");
    }

    /// <summary>
    /// Waits until every silo is healthy, restarting (as a process supervisor would, and at most three times) a silo that
    /// exited by itself: one restarted while storage is slow can fail its start, and that is a fault to recover from, not
    /// the end of the test. Its log says why.
    /// </summary>
    private async Task WaitAllHealthyRestartingAsync()
    {
        for (var restarts = 0; ; restarts++)
        {
            foreach (var exited in cluster.Processes.Silos.Where(s => !cluster.Processes.IsRunning(s)).ToList())
            {
                Log($"{exited} exited by itself (see its log); restarting it");
                cluster.Processes.StartSilo(exited, exited[..4]);
            }

            try
            {
                await cluster.WaitAllHealthyAsync();
                return;
            }
            catch (InvalidOperationException) when (restarts < 3)
            {
                // A silo exited while starting: restarted on the next turn.
            }
        }
    }

    /// <summary>The issue's targets against this run's timelines, one line each, saying met or not.</summary>
    private static List<string> Targets(IReadOnlyList<FaultTimeline> timelines)
    {
        static string Seconds(TimeSpan? t) => t is { } v ? string.Create(CultureInfo.InvariantCulture, $"{v.TotalSeconds:0.0}s") : "none";
        var silo = timelines.Where(t => t.Fault == "silo").Select(t => t.Recovery ?? RecoveryLimit).Order().ToList();
        var zone = timelines.Where(t => t.Fault == "east-zone").Select(t => t.Recovery ?? RecoveryLimit).DefaultIfEmpty().Max();
        var storage = timelines.Where(t => t.Fault == "azurite")
            .Select(t => (t.Recovery ?? RecoveryLimit) - t.Milestones.GetValueOrDefault("storage"))
            .DefaultIfEmpty()
            .Max();
        var p50 = silo.Count > 0 ? silo[silo.Count / 2] : (TimeSpan?)null;
        var max = silo.Count > 0 ? silo[^1] : (TimeSpan?)null;
        return
        [
            $"target: one silo killed recovery p50<=3s max<=5s: p50={Seconds(p50)} max={Seconds(max)} {(p50 <= TimeSpan.FromSeconds(3) && max <= TimeSpan.FromSeconds(5) ? "met" : "not met")}",
            $"target: east zone killed <=10s: {Seconds(zone)} {(zone <= TimeSpan.FromSeconds(10) ? "met" : "not met")}",
            $"target: storage restarted serving <=5s after storage answers: {Seconds(storage)} {(storage <= TimeSpan.FromSeconds(5) ? "met" : "not met")}",
        ];
    }

    /// <summary>Reads every job until all are terminal or a deadline passes (jobs whose executor died with a silo stay Running).</summary>
    private async Task<IReadOnlyDictionary<string, JobSnapshot?>> SettleAsync(IReadOnlyList<string> ids)
    {
        var jobs = new ConcurrentDictionary<string, JobSnapshot?>(StringComparer.Ordinal);
        var deadline = Stopwatch.StartNew();
        IReadOnlyList<string> open = ids;
        while (true)
        {
            foreach (var (id, job) in await ReadAsync(open))
            {
                jobs[id] = job;
            }

            open = [.. open.Where(id => jobs[id] is { } job && !job.State.IsTerminal())];
            if (open.Count == 0 || deadline.Elapsed > TimeSpan.FromSeconds(45))
            {
                return jobs;
            }

            await Task.Delay(TimeSpan.FromSeconds(1));
        }
    }

    /// <summary>
    /// Audits the jobs against every data center. A reservation whose job has just ended is released by the data center's
    /// next reconciliation pass, so a leaked reservation is read again for up to <see cref="LeakGrace"/> (with the jobs not
    /// yet terminal) before it is reported.
    /// </summary>
    private async Task<JobAudit> AuditAsync(IReadOnlyDictionary<string, JobSnapshot?> settled, IReadOnlyDictionary<string, int> before)
    {
        var jobs = new Dictionary<string, JobSnapshot?>(settled, StringComparer.Ordinal);
        var grace = Stopwatch.StartNew();
        while (true)
        {
            var dataCenters = (await Retry(ct => cluster.Grid.GetPoolAsync(ct))).Hubs.SelectMany(h => h.DataCenters).ToList();
            var audit = JobAudit.Of(jobs, dataCenters, before);
            if (audit.LeakedReservations == 0 || grace.Elapsed > LeakGrace)
            {
                return audit;
            }

            await Task.Delay(TimeSpan.FromSeconds(2));
            foreach (var (id, job) in await ReadAsync([.. jobs.Where(j => j.Value is { } open && !open.State.IsTerminal()).Select(j => j.Key)]))
            {
                jobs[id] = job;
            }
        }
    }

    /// <summary>
    /// The loan slices of each data center with a leaked reservation, for the report: a leak has been seen at a data
    /// center that lends in most runs, and a slice (its loan, borrower, openness and jobs) is where to look first.
    /// Best effort: a data center that does not answer is reported as such.
    /// </summary>
    private async Task<IReadOnlyList<string>> LoanSliceCluesAsync(IReadOnlyList<string> dataCenters, IReadOnlyDictionary<string, JobSnapshot?> jobs)
    {
        var clues = new List<string>();
        foreach (var id in dataCenters)
        {
            try
            {
                using var attempt = new CancellationTokenSource(TimeSpan.FromSeconds(15));
                var dataCenter = cluster.Orleans.GetGrain<Contracts.IDataCenterGrain>(id);
                var slices = await dataCenter.GetLoanSlicesAsync(attempt.Token);
                clues.Add($"clue: {id} holds {slices.Count} loan slices");
                clues.AddRange(slices.Select(s => $"clue: {id} slice of {s.LoanId} to {s.Borrower}: open={s.Open} jobs={s.Jobs} used={s.Used} of {s.Amount}"));

                // The held jobs no live job of the run accounts for, with what the run knows of each: the leak's trail.
                var unaccounted = (await dataCenter.GetHeldJobsAsync(attempt.Token))
                    .Where(j => !(jobs.GetValueOrDefault(j) is { } job && job.State.HoldsCapacity() && job.Placement?.DataCenterId == id))
                    .Take(20)
                    .Select(j => jobs.TryGetValue(j, out var job)
                        ? $"clue: {id} holds {j}, which is {job?.State.ToString() ?? "unknown"} at {job?.Placement?.DataCenterId ?? "-"}: {(job is { History.Count: > 0 } known ? known.History[^1].Detail : "-")}"
                        : $"clue: {id} holds {j}, not accepted by the run (a submission abandoned at the end of the phase, a probe or another test's job)");
                clues.AddRange(unaccounted);
            }
            catch (Exception e) when (e is TimeoutException or OperationCanceledException or Orleans.Runtime.OrleansException)
            {
                clues.Add($"clue: {id} did not answer for its loan slices ({e.GetType().Name})");
            }
        }

        return clues;
    }

    /// <summary>Reads jobs by id (null: unknown to the cluster), 32 at a time.</summary>
    private async Task<IReadOnlyDictionary<string, JobSnapshot?>> ReadAsync(IReadOnlyList<string> ids)
    {
        var jobs = new ConcurrentDictionary<string, JobSnapshot?>(StringComparer.Ordinal);
        await Parallel.ForEachAsync(ids, new ParallelOptions { MaxDegreeOfParallelism = 32 }, async (id, _) =>
            jobs[id] = await Retry(async ct =>
            {
                try
                {
                    return (JobSnapshot?)await cluster.Grid.GetJobAsync(id, ct);
                }
                catch (ComputeGridNotFoundException)
                {
                    return null;
                }
            }));
        return jobs;
    }

    private static JobRequest Job(string run, int i) => new()
    {
        JobId = $"chaos-{run}-{(i < 0 ? $"probe{-i}" : $"{i}")}",
        Tenant = $"chaos-{(i & int.MaxValue) % 40}",
        OriginHub = Hubs[(i & int.MaxValue) % Hubs.Length],
        CpuMillicores = 1000 + (i & int.MaxValue) % 4 * 1000,
        MemoryMiB = 2048,
        Gpus = i % 5 == 0 ? 1 : 0,
        GpuModel = i % 5 == 0 ? "910B" : null,
        RunTime = TimeSpan.FromMilliseconds(1000 + (i & int.MaxValue) % 3 * 500),
        LatencyClass = LatencyClass.Batch,
        Policy = (PlacementPolicy)((i & int.MaxValue) % 4),
    };

    /// <summary>Calls until it succeeds (each attempt limited, so a call stuck on a dead silo is abandoned) or the overall limit passes.</summary>
    private static async Task<T> Retry<T>(Func<CancellationToken, Task<T>> call, TimeSpan? limit = null, TimeSpan? attemptLimit = null, Action? onFault = null)
    {
        var deadline = Stopwatch.StartNew();
        var delay = TimeSpan.FromMilliseconds(100);
        while (true)
        {
            using var attempt = new CancellationTokenSource(attemptLimit ?? TimeSpan.FromSeconds(15));
            try
            {
                return await call(attempt.Token);
            }
            catch (Exception e) when (e is not (ComputeGridValidationException or JobConflictException) && deadline.Elapsed < (limit ?? TimeSpan.FromMinutes(2)))
            {
                onFault?.Invoke();
                await Task.Delay(delay);
                delay = TimeSpan.FromMilliseconds(Math.Min(delay.TotalMilliseconds * 2, 1000));
            }
        }
    }

    /// <summary>The environment variable's value when it is a whole number of at least <paramref name="minimum"/> (0 turns a kind of submission off), else <paramref name="fallback"/>.</summary>
    private static int Setting(string variable, int fallback, int minimum = 1) =>
        int.TryParse(Environment.GetEnvironmentVariable(variable), out var value) && value >= minimum ? value : fallback;

    /// <summary>Writes to the test output and, as it happens, to <c>progress.log</c> next to the process logs.</summary>
    private void Log(string message)
    {
        // UTC wall clock too, to line up with the silos' log timestamps.
        var line = string.Create(CultureInfo.InvariantCulture, $"[{DateTime.UtcNow:HH:mm:ss.fff} {_clock.Elapsed.TotalSeconds,6:0.0}s] {message}");
        output.WriteLine(line);
        lock (_clock)
        {
            File.AppendAllLines(Path.Combine(cluster.Processes.LogDirectory, "progress.log"), [line]);
        }
    }
}
