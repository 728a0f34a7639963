using ComputeGrid.Domain.Jobs;
using ComputeGrid.Domain.Resources;

namespace ComputeGrid.Domain.Placement;

/// <summary>A rate of resources in the dimensions one job asks for (its CPU, its memory and GPUs of its model), per hour.</summary>
/// <param name="CpuMillicores">Millicores per hour.</param>
/// <param name="MemoryMiB">MiB per hour.</param>
/// <param name="Gpus">GPUs of the job's model per hour (0 for a job without GPUs).</param>
public readonly record struct ResourceRate(double CpuMillicores, double MemoryMiB, double Gpus)
{
    /// <summary>No flow.</summary>
    public static ResourceRate Zero { get; } = new(0, 0, 0);

    /// <summary><paramref name="amount"/> spread over <paramref name="over"/>, in the dimensions of <paramref name="job"/>; zero over no time.</summary>
    public static ResourceRate Of(ResourceVector amount, ResourceRequest job, TimeSpan over) =>
        over <= TimeSpan.Zero
            ? Zero
            : new(amount.CpuMillicores / over.TotalHours, amount.MemoryMiB / over.TotalHours, job.EffectiveGpuModel is { } m ? amount.GpusOf(m) / over.TotalHours : 0);

    /// <summary>This rate less <paramref name="other"/> (may go below zero).</summary>
    public ResourceRate Minus(ResourceRate other) => new(CpuMillicores - other.CpuMillicores, MemoryMiB - other.MemoryMiB, Gpus - other.Gpus);
}

/// <summary>A known release: <paramref name="Amount"/> comes free at <paramref name="At"/> (a job's placement time plus its declared run time).</summary>
/// <param name="At">When, federation clock.</param>
/// <param name="Amount">What comes free.</param>
public sealed record KnownRelease(DateTimeOffset At, ResourceVector Amount);

/// <summary>
/// What a region sees of the room a job could use in one data center over the coming hours.
/// </summary>
/// <param name="Room">What the job could use there now: the free capacity last seen (own data center), or the room of the region's loan slices there and the free capacity last seen (a peer's).</param>
/// <param name="KnownReleases">The region's own jobs there, each freeing its resources at its placement time plus its declared run time.</param>
/// <param name="Released">What the data center's capacity-freed notices showed coming free per hour lately (their release rate), besides the known releases.</param>
/// <param name="Competing">What other arrivals that want the same place take per hour (the arrival forecast's rate).</param>
/// <param name="NotBefore">Nothing can start there before this (a peer that refused a loan is not asked again until its back-off ends); the past for no bound.</param>
public sealed record RoomOutlook(ResourceVector Room, IReadOnlyList<KnownRelease> KnownReleases, ResourceRate Released, ResourceRate Competing, DateTimeOffset NotBefore);

/// <summary>What a GreenestPredictive job does in a pass where its greenest data center is full.</summary>
/// <param name="Waits">True: it stays in the queue for its greenest data center; false: it takes the best place now, as Greenest does.</param>
/// <param name="PredictedStart">When room for it is predicted at its greenest data center; null when none is within its bound.</param>
/// <param name="Deadline">Its enqueue time plus the bound: at the first pass from then on it takes the best place now.</param>
/// <param name="WakeAt">When waiting, when the region should try it again at the latest (the predicted start, else the deadline); null otherwise.</param>
/// <param name="Reason">Why, in a sentence.</param>
public sealed record PredictiveChoice(bool Waits, DateTimeOffset? PredictedStart, DateTimeOffset Deadline, DateTimeOffset? WakeAt, string Reason);

/// <summary>
/// GreenestPredictive's rule (<see cref="PlacementPolicy.GreenestPredictive"/>): predict when a full data center has room
/// for a job, and decide whether the job waits for it or takes the best place it has now. Pure: no clock but the one
/// passed in.
/// </summary>
public static class PredictiveWait
{
    /// <summary>
    /// The earliest instant in [max(now, NotBefore), <paramref name="latest"/>] at which the room the outlook predicts holds
    /// <paramref name="need"/> in every dimension it asks for; null when none. The predicted room at t is
    /// Room + the known releases due by t + (Released - Competing) x (t - now): linear between known releases, so each
    /// dimension's crossing is solved exactly.
    /// </summary>
    public static DateTimeOffset? PredictStart(ResourceRequest need, RoomOutlook outlook, DateTimeOffset now, DateTimeOffset latest)
    {
        var start = outlook.NotBefore > now ? outlook.NotBefore : now;
        if (start > latest)
        {
            return null;
        }

        var slope = outlook.Released.Minus(outlook.Competing);
        var model = need.EffectiveGpuModel;
        double[] wanted = [need.CpuMillicores, need.MemoryMiB, model is null ? 0 : need.Gpus];
        double[] rate = [slope.CpuMillicores, slope.MemoryMiB, slope.Gpus];
        double[] room = Dimensions(outlook.Room, model);
        var releases = outlook.KnownReleases.Where(r => r.At <= latest).OrderBy(r => r.At).ToList();

        // The known releases due by the start count at the start; the others split [start, latest] into segments.
        var next = 0;
        for (; next < releases.Count && releases[next].At <= start; next++)
        {
            Add(room, releases[next].Amount, model);
        }

        var hoursToStart = (start - now).TotalHours;
        for (var d = 0; d < room.Length; d++)
        {
            room[d] += rate[d] * hoursToStart;
        }

        var from = start;
        while (true)
        {
            var to = next < releases.Count ? releases[next].At : latest;
            if (Crossing(room, wanted, rate, from, to) is { } at)
            {
                return at;
            }

            if (next >= releases.Count)
            {
                return null;
            }

            var hours = (to - from).TotalHours;
            for (var d = 0; d < room.Length; d++)
            {
                room[d] += rate[d] * hours;
            }

            for (; next < releases.Count && releases[next].At == to; next++)
            {
                Add(room, releases[next].Amount, model);
            }

            from = to;
        }
    }

    /// <summary>
    /// Whether a job whose greenest data center is full waits for it. It takes the best place now (as Greenest) when it
    /// has waited <paramref name="maxWait"/> since <paramref name="enqueuedAt"/>, when waiting saves less carbon than
    /// <paramref name="minSaving"/> of the place now's (<paramref name="nowCarbonKg"/> against <paramref name="bestCarbonKg"/>),
    /// or when no room is predicted before its deadline; otherwise it waits, to be tried again by the predicted start
    /// (or the deadline, when the room is predicted now or the prediction is for a later pass to confirm).
    /// </summary>
    public static PredictiveChoice Decide(
        DateTimeOffset enqueuedAt,
        DateTimeOffset now,
        TimeSpan maxWait,
        double minSaving,
        double bestCarbonKg,
        double nowCarbonKg,
        DateTimeOffset? predictedStart)
    {
        var deadline = enqueuedAt + maxWait;
        if (now >= deadline)
        {
            return new(false, predictedStart, deadline, null, $"it has waited its bound of {Duration(maxWait)}");
        }

        var saving = nowCarbonKg - bestCarbonKg;
        if (!(saving > 0) || saving < minSaving * nowCarbonKg)
        {
            return new(false, predictedStart, deadline, null, $"waiting saves {Quantity.Carbon(Math.Max(0, saving))}, less than {Quantity.Number(minSaving * 100)}% of {Quantity.Carbon(nowCarbonKg)}");
        }

        if (predictedStart is not { } start || start > deadline)
        {
            return new(false, null, deadline, null, $"no room is predicted there within its bound of {Duration(maxWait)}");
        }

        var wake = start > now ? start : deadline;
        return new(true, start, deadline, wake, $"room is predicted there by {start:u}, within its bound (until {deadline:u}), saving {Quantity.Carbon(saving)}");
    }

    /// <summary>
    /// <see cref="Decide"/> with the start <see cref="PredictStart"/> predicts from <paramref name="outlook"/> for
    /// <paramref name="need"/> up to the deadline (<paramref name="enqueuedAt"/> + <paramref name="maxWait"/>).
    /// </summary>
    public static PredictiveChoice Choose(
        ResourceRequest need,
        RoomOutlook outlook,
        DateTimeOffset enqueuedAt,
        DateTimeOffset now,
        TimeSpan maxWait,
        double minSaving,
        double bestCarbonKg,
        double nowCarbonKg) =>
        Decide(enqueuedAt, now, maxWait, minSaving, bestCarbonKg, nowCarbonKg, now >= enqueuedAt + maxWait ? null : PredictStart(need, outlook, now, enqueuedAt + maxWait));

    private static string Duration(TimeSpan span) => span.TotalHours >= 1 ? $"{Quantity.Number(span.TotalHours)} h" : $"{Quantity.Number(span.TotalMinutes)} min";

    /// <summary>The earliest t in [from, to] at which room + rate x (t - from) covers wanted in every dimension; null when none.</summary>
    private static DateTimeOffset? Crossing(double[] room, double[] wanted, double[] rate, DateTimeOffset from, DateTimeOffset to)
    {
        var hours = 0.0;
        for (var d = 0; d < room.Length; d++)
        {
            var deficit = wanted[d] - room[d];
            if (deficit <= 0)
            {
                continue;
            }

            if (rate[d] <= 0)
            {
                return null;
            }

            hours = Math.Max(hours, deficit / rate[d]);
        }

        // Whole ticks, rounded up: the room is there at the instant returned, never just before it.
        var at = from + TimeSpan.FromTicks((long)Math.Ceiling(hours * TimeSpan.TicksPerHour));
        if (at <= to)
        {
            return at;
        }

        return null;
    }

    private static double[] Dimensions(ResourceVector v, string? model) => [v.CpuMillicores, v.MemoryMiB, model is null ? 0 : v.GpusOf(model)];

    private static void Add(double[] room, ResourceVector amount, string? model)
    {
        var add = Dimensions(amount, model);
        for (var d = 0; d < room.Length; d++)
        {
            room[d] += add[d];
        }
    }
}

/// <summary>
/// What a region's capacity-freed notices show coming free at each data center: each notice gives the data center's free
/// capacity, and the rise over the free capacity the region saw there before it (per dimension, never below zero) is what
/// came free. Reservations between two notices hide part of a release, so the rate is a lower bound of what frees (net of
/// what others took meanwhile). Kept in memory only: a region that reactivates starts with no observations.
/// </summary>
public sealed class ReleaseObserver(TimeSpan window)
{
    private readonly Dictionary<string, Queue<KnownRelease>> _byDataCenter = new(StringComparer.Ordinal);

    /// <summary>How far back notices count.</summary>
    public TimeSpan Window { get; } = window;

    /// <summary>A notice from <paramref name="dataCenterId"/> at <paramref name="at"/>: it has <paramref name="free"/>, where the region saw <paramref name="seenBefore"/>.</summary>
    public void Note(string dataCenterId, ResourceVector seenBefore, ResourceVector free, DateTimeOffset at)
    {
        var rise = ResourceVector.Of(
            Math.Max(0, free.CpuMillicores - seenBefore.CpuMillicores),
            Math.Max(0, free.MemoryMiB - seenBefore.MemoryMiB),
            free.Gpus.Select(g => KeyValuePair.Create(g.Key, Math.Max(0, g.Value - seenBefore.GpusOf(g.Key)))).Where(g => g.Value > 0));
        if (rise.Equals(ResourceVector.Zero) || Window <= TimeSpan.Zero)
        {
            return;
        }

        (_byDataCenter.TryGetValue(dataCenterId, out var seen) ? seen : _byDataCenter[dataCenterId] = new Queue<KnownRelease>()).Enqueue(new KnownRelease(at, rise));
        Prune(dataCenterId, at);
    }

    /// <summary>What came free at <paramref name="dataCenterId"/> in the last window, per hour, in the dimensions of <paramref name="job"/>.</summary>
    public ResourceRate RateAt(string dataCenterId, ResourceRequest job, DateTimeOffset now)
    {
        Prune(dataCenterId, now);
        if (!_byDataCenter.TryGetValue(dataCenterId, out var seen))
        {
            return ResourceRate.Zero;
        }

        var total = seen.Aggregate(ResourceVector.Zero, (sum, r) => sum.Plus(r.Amount));
        return ResourceRate.Of(total, job, Window);
    }

    private void Prune(string dataCenterId, DateTimeOffset now)
    {
        if (!_byDataCenter.TryGetValue(dataCenterId, out var seen))
        {
            return;
        }

        while (seen.TryPeek(out var oldest) && now - oldest.At >= Window)
        {
            seen.Dequeue();
        }

        if (seen.Count == 0)
        {
            _byDataCenter.Remove(dataCenterId);
        }
    }
}
