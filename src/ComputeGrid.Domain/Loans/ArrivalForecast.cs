using ComputeGrid.Domain.Resources;

namespace ComputeGrid.Domain.Loans;

/// <summary>
/// What a borrower's recent arrivals predict it will want from a peer: the jobs whose best place was in that peer during
/// the last <see cref="Window"/> (federation clock), taken as an arrival rate, times how long each holds its resources
/// within the horizon asked about (Little's law: concurrent use = arrival rate x time held). The rate is measured between
/// arrivals: k distinct arrival instants in the window give k - 1 gaps, so the sum is scaled by (k - 1) / k, and a
/// single instant (one job, or a batch submitted at once) predicts nothing. An estimate kept in memory only: a region
/// that reactivates starts with an empty window and sizes its first loans by its queue alone.
/// </summary>
public sealed class ArrivalForecast(TimeSpan window)
{
    private readonly Dictionary<string, Queue<Arrival>> _byHub = new(StringComparer.Ordinal);

    /// <summary>How far back arrivals count.</summary>
    public TimeSpan Window { get; } = window;

    /// <summary>A job arrived at <paramref name="at"/> whose best place is in <paramref name="hub"/>.</summary>
    public void Note(string hub, ResourceRequest resources, TimeSpan runTime, DateTimeOffset at)
    {
        if (Window <= TimeSpan.Zero)
        {
            return;
        }

        (_byHub.TryGetValue(hub, out var arrivals) ? arrivals : _byHub[hub] = new Queue<Arrival>()).Enqueue(new Arrival(at, resources, runTime));
        Prune(at);
    }

    /// <summary>
    /// The capacity the arrivals of the last window predict <paramref name="hubs"/> will hold at once over the next
    /// <paramref name="horizon"/>: the sum over those arrivals of resources x min(run time, horizon) / window, times
    /// (k - 1) / k for k distinct arrival instants, each dimension rounded up (a GPU model only for arrivals that asked for
    /// it). Zero when the forecast is off or the arrivals came at one instant or none.
    /// </summary>
    public ResourceVector Predict(IEnumerable<string> hubs, TimeSpan horizon, DateTimeOffset now)
    {
        Prune(now);
        var arrivals = hubs.Distinct(StringComparer.Ordinal).SelectMany(h => _byHub.GetValueOrDefault(h) ?? []).ToList();
        var instants = arrivals.Select(a => a.At).Distinct().Count();
        if (Window <= TimeSpan.Zero || horizon <= TimeSpan.Zero || instants < 2)
        {
            return ResourceVector.Zero;
        }

        var gaps = (instants - 1) / (double)instants;
        double cpu = 0, memory = 0;
        var gpus = new SortedDictionary<string, double>(StringComparer.Ordinal);
        foreach (var arrival in arrivals)
        {
            var share = gaps * Math.Max(0, Math.Min(arrival.RunTime.Ticks, horizon.Ticks)) / Window.Ticks;
            cpu += arrival.Resources.CpuMillicores * share;
            memory += arrival.Resources.MemoryMiB * share;
            if (arrival.Resources.EffectiveGpuModel is { } model)
            {
                gpus[model] = gpus.GetValueOrDefault(model) + (arrival.Resources.Gpus * share);
            }
        }

        return ResourceVector.Of(Up(cpu), Up(memory), gpus.Select(g => KeyValuePair.Create(g.Key, (int)Math.Min(int.MaxValue, Up(g.Value)))));
    }

    /// <summary>
    /// The rate at which the last window's arrivals for <paramref name="hubs"/> came, in the dimensions of
    /// <paramref name="job"/>, per hour: their resources summed over the window, times (k - 1) / k for k distinct arrival
    /// instants (what <see cref="Predict"/> gives per hour of a horizon shorter than every run time). Zero when the forecast
    /// is off or the arrivals came at one instant or none.
    /// </summary>
    public Placement.ResourceRate RateOf(IEnumerable<string> hubs, ResourceRequest job, DateTimeOffset now)
    {
        Prune(now);
        var arrivals = hubs.Distinct(StringComparer.Ordinal).SelectMany(h => _byHub.GetValueOrDefault(h) ?? []).ToList();
        var instants = arrivals.Select(a => a.At).Distinct().Count();
        if (Window <= TimeSpan.Zero || instants < 2)
        {
            return Placement.ResourceRate.Zero;
        }

        var total = arrivals.Aggregate(ResourceVector.Zero, (sum, a) => sum.Plus(a.Resources));
        var rate = Placement.ResourceRate.Of(total, job, Window);
        var gaps = (instants - 1) / (double)instants;
        return new(rate.CpuMillicores * gaps, rate.MemoryMiB * gaps, rate.Gpus * gaps);
    }

    // Shares of whole units are rounded up; the tolerance keeps 6.0000000001 (floating-point noise) at 6.
    private static long Up(double value) => (long)Math.Min(long.MaxValue / 4, Math.Ceiling(value - 1e-9));

    private void Prune(DateTimeOffset now)
    {
        foreach (var (hub, arrivals) in _byHub.ToList())
        {
            while (arrivals.TryPeek(out var oldest) && now - oldest.At >= Window)
            {
                arrivals.Dequeue();
            }

            if (arrivals.Count == 0)
            {
                _byHub.Remove(hub);
            }
        }
    }

    private sealed record Arrival(DateTimeOffset At, ResourceRequest Resources, TimeSpan RunTime);
}
