using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using ComputeGrid.Client;
using ComputeGrid.Domain.Jobs;
using Xunit.Abstractions;

namespace ComputeGrid.Cluster.Tests;

/// <summary>
/// A rolling upgrade as <c>scripts/cluster.sh upgrade</c> does it: every silo in turn gets SIGTERM, drains and exits, and
/// starts again (on the new build) before the next one stops, while clients keep submitting and reading through the SDK.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class UpgradeTests(ClusterFixture cluster, ITestOutputHelper output)
{
    /// <summary>Concurrent clients, each submitting a job and reading it back in a loop.</summary>
    private const int Workers = 4;

    /// <summary>How long a silo told to stop may take to drain and exit.</summary>
    private static readonly TimeSpan DrainLimit = TimeSpan.FromSeconds(60);

    [Fact, Trait("Category", "Cluster")]
    public async Task A_rolling_restart_of_every_silo_with_SIGTERM_under_load_fails_no_client_request_and_loses_no_job()
    {
        await cluster.WaitAllHealthyAsync();
        var run = $"upgrade-{DateTime.UtcNow:HHmmss}";
        var load = new Load();
        using var stop = new CancellationTokenSource();
        var workers = Task.WhenAll(Enumerable.Range(0, Workers).Select(w => WorkAsync(run, w, load, stop.Token)));
        await Poll.UntilAsync(() => Task.FromResult(load.Requests >= 20 || workers.IsCompleted), "the load flows", TimeSpan.FromMinutes(2));

        var clock = Stopwatch.StartNew();
        foreach (var silo in cluster.Processes.Silos.ToList())
        {
            var stopping = clock.Elapsed;
            await cluster.Processes.StopAsync(silo, DrainLimit);
            var drained = clock.Elapsed - stopping;
            cluster.Processes.StartSilo(silo, silo[..4]);
            await cluster.Processes.WaitHealthyAsync(silo, ClusterFixture.SiloStartLimit, CancellationToken.None);
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{silo}: drained and exited in {drained.TotalSeconds:0.0}s, healthy again after {(clock.Elapsed - stopping).TotalSeconds:0.0}s; {load.Requests} requests so far"));
        }

        // Requests keep flowing through the restarted cluster before the load stops.
        var after = load.Requests;
        await Poll.UntilAsync(() => Task.FromResult(load.Requests >= after + 20 || workers.IsCompleted), "requests after the upgrade", TimeSpan.FromMinutes(2));
        await stop.CancelAsync();
        await workers;

        // Every accepted job is still known, with a history that never ran it twice.
        var lost = new List<string>();
        foreach (var id in load.Accepted.Keys)
        {
            var job = await cluster.Grid.GetJobAsync(id);
            if (job.History.Count(e => e.State == JobState.Running) > 1)
            {
                lost.Add($"{id} ran twice");
            }
        }

        var line = string.Create(CultureInfo.InvariantCulture, $"upgrade: requests={load.Requests} failed={load.Failures.Count} max_wait={load.MaxWait.TotalSeconds:0.0}s accepted={load.Accepted.Count} silos={cluster.Processes.Silos.Count}");
        output.WriteLine(line);
        foreach (var failure in load.Failures.Take(20))
        {
            output.WriteLine(failure);
        }

        var artifacts = Path.Combine(ClusterFixture.RepositoryRoot, "artifacts");
        Directory.CreateDirectory(artifacts);
        await File.WriteAllLinesAsync(Path.Combine(artifacts, "upgrade-report.txt"), [line, .. load.Failures, .. lost]);
        Assert.Empty(load.Failures);
        Assert.Empty(lost);
    }

    /// <summary>Submits a short job and reads it back, again and again, each call once through the SDK (which retries transient faults itself).</summary>
    private async Task WorkAsync(string run, int worker, Load load, CancellationToken stop)
    {
        string[] hubs = ["bth", "yangtze", "gba", "chengyu", "inner-mongolia", "guizhou", "gansu", "ningxia"];
        for (var n = 0; !stop.IsCancellationRequested; n++)
        {
            var request = new JobRequest
            {
                JobId = $"{run}-{worker}-{n}",
                Tenant = $"{run}-{worker}",
                OriginHub = hubs[(worker + n) % hubs.Length],
                CpuMillicores = 1000,
                MemoryMiB = 1024,
                RunTime = TimeSpan.FromMilliseconds(500),
                LatencyClass = LatencyClass.Batch,
            };
            if (await load.TimeAsync($"submit {request.JobId}", () => cluster.Grid.SubmitAsync(request)))
            {
                load.Accepted[request.JobId] = true;
                await load.TimeAsync($"read {request.JobId}", () => cluster.Grid.GetJobAsync(request.JobId));
            }
        }
    }

    /// <summary>What the clients saw: requests made, failures (the SDK threw) and the longest wait of one request.</summary>
    private sealed class Load
    {
        private long _requests;
        private long _maxWaitTicks;

        public long Requests => Interlocked.Read(ref _requests);

        public ConcurrentQueue<string> Failures { get; } = new();

        public ConcurrentDictionary<string, bool> Accepted { get; } = new(StringComparer.Ordinal);

        public TimeSpan MaxWait => TimeSpan.FromTicks(Interlocked.Read(ref _maxWaitTicks));

        public async Task<bool> TimeAsync<T>(string what, Func<Task<T>> call)
        {
            var started = Stopwatch.StartNew();
            try
            {
                await call();
                return true;
            }
            catch (Exception e)
            {
                Failures.Enqueue($"failed: {what} after {started.Elapsed.TotalSeconds:0.0}s: {e.GetType().Name}: {e.Message.Split('\n')[0]}");
                return false;
            }
            finally
            {
                Interlocked.Increment(ref _requests);
                var ticks = started.Elapsed.Ticks;
                long seen;
                while (ticks > (seen = Interlocked.Read(ref _maxWaitTicks)) && Interlocked.CompareExchange(ref _maxWaitTicks, ticks, seen) != seen)
                {
                }
            }
        }
    }
}
