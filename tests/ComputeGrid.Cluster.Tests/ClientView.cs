using System.Globalization;

namespace ComputeGrid.Cluster.Tests;

/// <summary>One submission as its caller saw it: when it started and ended (null: never accepted) and how many faults the SDK surfaced to it.</summary>
internal sealed record ClientCall(TimeSpan Started, TimeSpan? Ended, int Faults);

/// <summary>
/// The client's side of the faults: of the submissions in flight while the cluster was recovering from a fault (from the
/// fault until its recovery), how many saw the SDK throw at least once (the SDK retries transient faults itself, so each
/// exception is one the caller saw), how many were still unanswered when the submission phase ended, and how long the
/// accepted ones waited.
/// </summary>
internal sealed record ClientView(int Made, int Failed, int Unfinished, TimeSpan P99Wait, TimeSpan MaxWait)
{
    public static ClientView Of(IEnumerable<ClientCall> calls, IReadOnlyList<FaultTimeline> timelines)
    {
        var windows = timelines.Select(t => (From: t.Start, To: t.Start + (t.Recovery ?? TimeSpan.FromMinutes(3)))).ToList();
        var during = calls.Where(c => windows.Any(w => c.Started < w.To && (c.Ended ?? TimeSpan.MaxValue) > w.From)).ToList();
        var waits = during.Where(c => c.Ended is not null).Select(c => c.Ended!.Value - c.Started).Order().ToList();
        var p99 = waits.Count == 0 ? TimeSpan.Zero : waits[Math.Min(waits.Count - 1, (int)Math.Ceiling(waits.Count * 0.99) - 1)];
        return new ClientView(during.Count, during.Count(c => c.Faults > 0), during.Count(c => c.Ended is null), p99, waits.Count == 0 ? TimeSpan.Zero : waits[^1]);
    }

    public string Describe() => string.Create(CultureInfo.InvariantCulture,
        $"client: submissions_during_faults={Made} failed={Failed} unfinished_at_phase_end={Unfinished} p99_wait={P99Wait.TotalSeconds:0.0}s max_wait={MaxWait.TotalSeconds:0.0}s");
}
