using System.Diagnostics;

namespace ComputeGrid.Benchmarks.Harness;

/// <summary>One measured run: how many operations, how long, and the latency distribution.</summary>
/// <param name="Operations">Operations completed.</param>
/// <param name="Seconds">Wall time of the run.</param>
/// <param name="P50Ms">Median latency, ms.</param>
/// <param name="P99Ms">99th percentile latency, ms.</param>
/// <param name="MaxMs">Largest latency, ms.</param>
/// <param name="Failures">Operations that threw.</param>
public sealed record RunResult(int Operations, double Seconds, double P50Ms, double P99Ms, double MaxMs, int Failures)
{
    /// <summary>Completed operations per second.</summary>
    public double PerSecond => Seconds > 0 ? Operations / Seconds : 0;
}

/// <summary>Drives operations closed-loop (a fixed number of callers in flight) or open-loop (a fixed arrival rate).</summary>
public static class LoadDriver
{
    /// <summary>
    /// Runs <paramref name="operations"/> calls of <paramref name="operation"/> (given its index) with
    /// <paramref name="concurrency"/> callers each starting the next call as soon as its last one returns.
    /// </summary>
    public static async Task<RunResult> ClosedLoopAsync(int operations, int concurrency, Func<int, Task> operation)
    {
        var latencies = new long[operations];
        var next = -1;
        var failures = 0;
        var clock = Stopwatch.StartNew();
        var callers = Enumerable.Range(0, Math.Min(concurrency, operations)).Select(_ => Task.Run(async () =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < operations)
            {
                var start = Stopwatch.GetTimestamp();
                try
                {
                    await operation(i);
                }
                catch (Exception)
                {
                    Interlocked.Increment(ref failures);
                }

                latencies[i] = Stopwatch.GetTimestamp() - start;
            }
        }));
        await Task.WhenAll(callers);
        clock.Stop();
        return Summarise(latencies, clock.Elapsed.TotalSeconds, failures);
    }

    /// <summary>
    /// Starts <paramref name="operations"/> calls at <paramref name="perSecond"/>, each at its scheduled time whatever the
    /// others do, and measures each from its scheduled start (so a stall counts against every call it delays).
    /// </summary>
    public static async Task<RunResult> OpenLoopAsync(int operations, double perSecond, Func<int, Task> operation)
    {
        var latencies = new long[operations];
        var failures = 0;
        var pending = new List<Task>(operations);
        var origin = Stopwatch.GetTimestamp();
        var ticksPerOperation = Stopwatch.Frequency / perSecond;
        var issued = 0;
        while (issued < operations)
        {
            var due = Math.Min(operations, (int)((Stopwatch.GetTimestamp() - origin) / ticksPerOperation) + 1);
            for (; issued < due; issued++)
            {
                var i = issued;
                var scheduled = origin + (long)(i * ticksPerOperation);
                pending.Add(Task.Run(async () =>
                {
                    try
                    {
                        await operation(i);
                    }
                    catch (Exception)
                    {
                        Interlocked.Increment(ref failures);
                    }

                    latencies[i] = Stopwatch.GetTimestamp() - scheduled;
                }));
            }

            await Task.Delay(1);
        }

        await Task.WhenAll(pending);
        var seconds = Stopwatch.GetElapsedTime(origin).TotalSeconds;
        return Summarise(latencies, seconds, failures);
    }

    private static RunResult Summarise(long[] latencies, double seconds, int failures)
    {
        Array.Sort(latencies);
        double Ms(double q) => latencies.Length == 0 ? 0 : latencies[Math.Min(latencies.Length - 1, (int)(q * latencies.Length))] * 1000.0 / Stopwatch.Frequency;
        return new RunResult(latencies.Length - failures, seconds, Ms(0.50), Ms(0.99), Ms(1.0), failures);
    }
}
