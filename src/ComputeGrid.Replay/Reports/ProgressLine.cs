using System.Diagnostics;
using System.Globalization;

namespace ComputeGrid.Replay.Reports;

/// <summary>
/// Progress as plain text, for output redirected to a file or a pipe (a terminal gets Spectre.Console's bar): a line
/// with the jobs submitted, the share, the wall time so far and the time left, at most once per interval.
/// </summary>
/// <param name="Name">What is replayed (the policy).</param>
/// <param name="Total">Jobs to submit.</param>
/// <param name="Every">The least wall time between two lines.</param>
public sealed class ProgressLine(string Name, int Total, TimeSpan Every)
{
    private readonly Stopwatch _watch = Stopwatch.StartNew();
    private TimeSpan _last;

    /// <summary>The line for <paramref name="done"/> jobs submitted, or null when the previous one is too recent.</summary>
    public string? Report(int done)
    {
        var elapsed = _watch.Elapsed;
        if (elapsed - _last < Every || done >= Total)
        {
            return null;
        }

        _last = elapsed;
        return Format(Name, done, Total, elapsed);
    }

    /// <summary>
    /// "greenest: 7,000/28,467 jobs (24.6 %), 1m 10s, about 3m 35s left": the time left assumes the jobs still to
    /// come go at the rate of those so far; unknown before the first job.
    /// </summary>
    public static string Format(string name, int done, int total, TimeSpan elapsed)
    {
        var share = total == 0 ? 1 : (double)done / total;
        var left = done == 0 ? "time left unknown" : $"about {Short(elapsed * ((double)(total - done) / done))} left";
        return string.Create(CultureInfo.InvariantCulture, $"{name}: {done:N0}/{total:N0} jobs ({share * 100:F1} %), {Short(elapsed)}, {left}");
    }

    private static string Short(TimeSpan t) => t.TotalHours >= 1
        ? $"{(int)t.TotalHours}h {t.Minutes}m"
        : t.TotalMinutes >= 1 ? $"{(int)t.TotalMinutes}m {t.Seconds}s" : $"{t.Seconds}s";
}
