using System.Text.RegularExpressions;
using ComputeGrid.Domain.Resources;

namespace ComputeGrid.Domain.Reservations;

/// <summary>What a tenant (not an operator) may reserve.</summary>
/// <param name="MaxCores">Most cores the tenant's reservations hold at any one instant, all data centers together.</param>
/// <param name="MaxGpus">Most GPUs (any model) the tenant's reservations hold at any one instant.</param>
/// <param name="MaxWindow">Longest window, end less start.</param>
/// <param name="MaxAdvance">Furthest ahead a window may start.</param>
public sealed record ReservationQuota(int MaxCores, int MaxGpus, TimeSpan MaxWindow, TimeSpan MaxAdvance);

/// <summary>What an operator may reserve (not bound by a tenant's quota, but not without end either).</summary>
/// <param name="MaxWindow">Longest window, end less start.</param>
/// <param name="MaxAdvance">Furthest ahead a window may start.</param>
public sealed record OperatorReservationBounds(TimeSpan MaxWindow, TimeSpan MaxAdvance);

/// <summary>One reservation's window and size, as the quota and a job's use see it.</summary>
/// <param name="Resources">What it reserves in all.</param>
/// <param name="Start">When it opens.</param>
/// <param name="End">When it closes.</param>
public readonly record struct ReservedSpan(ResourceRequest Resources, DateTimeOffset Start, DateTimeOffset End);

/// <summary>The rules of making an advance reservation and of a job's use of one (pure).</summary>
public static partial class AdvanceReservationRules
{
    /// <summary>Longest reservation id, characters.</summary>
    public const int MaxIdLength = 128;

    /// <summary>How far in the past a window may start (clocks differ; it then opens at once).</summary>
    public static readonly TimeSpan StartSlack = TimeSpan.FromMinutes(5);

    /// <summary>True for an id of letters, digits, '.', '_' and '-', 1..128 characters.</summary>
    public static bool IsValidId(string? id) => id is { Length: > 0 and <= MaxIdLength } && IdPattern().IsMatch(id);

    /// <summary>
    /// Checks a new reservation's shape (REST 400): id, tenant, resources, exactly one of hub and data center, the window's
    /// order, and that a GPU model named is one the pool knows (<paramref name="knownGpuModels"/>; checked even with zero
    /// GPUs, as a job's is). Every problem, each naming its field.
    /// </summary>
    public static IReadOnlyList<ValidationError> ValidateShape(
        string reservationId, string tenant, ResourceRequest resources, string? hubId, string? dataCenterId, DateTimeOffset start, DateTimeOffset end,
        DateTimeOffset now, IReadOnlySet<string> knownGpuModels)
    {
        var errors = new List<ValidationError>();
        if (!IsValidId(reservationId))
        {
            errors.Add(new("reservationId", $"must be 1-{MaxIdLength} characters of letters, digits, '.', '_' and '-'"));
        }

        if (string.IsNullOrWhiteSpace(tenant))
        {
            errors.Add(new("tenant", "is required"));
        }

        if (resources.CpuMillicores < 1)
        {
            errors.Add(new("resources.cpuMillicores", "must be at least 1"));
        }

        if (resources.MemoryMiB < 1)
        {
            errors.Add(new("resources.memoryMiB", "must be at least 1"));
        }

        if (resources.Gpus < 0)
        {
            errors.Add(new("resources.gpus", "must not be negative"));
        }
        else if (resources.Gpus > 0 && string.IsNullOrWhiteSpace(resources.GpuModel))
        {
            errors.Add(new("resources.gpuModel", "is required when gpus is above 0"));
        }

        if (!string.IsNullOrWhiteSpace(resources.GpuModel) && !knownGpuModels.Contains(resources.GpuModel))
        {
            errors.Add(new("resources.gpuModel", $"unknown GPU model {ValidationError.Quote(resources.GpuModel)}; known models: {string.Join(", ", knownGpuModels.Order(StringComparer.Ordinal))}"));
        }

        if ((hubId is null) == (dataCenterId is null))
        {
            errors.Add(new("dataCenterId", "name exactly one of hubId and dataCenterId"));
        }

        if (end <= start)
        {
            errors.Add(new("end", "must be after start"));
        }

        if (start < now - StartSlack)
        {
            errors.Add(new("start", $"is in the past (now is {now:O})"));
        }

        return errors;
    }

    /// <summary>
    /// Checks a well-formed reservation against what its maker may reserve (REST 422): a tenant's against its quota
    /// (<paramref name="quota"/>) and its other live reservations (<paramref name="others"/>); an operator's
    /// (<paramref name="quota"/> null) against the operator's bounds on window and advance. Every problem, each naming its field.
    /// </summary>
    public static IReadOnlyList<ValidationError> ValidateLimits(
        ResourceRequest resources, DateTimeOffset start, DateTimeOffset end, DateTimeOffset now, ReservationQuota? quota, OperatorReservationBounds operatorBounds, IEnumerable<ReservedSpan> others)
    {
        var errors = new List<ValidationError>();
        var (maxWindow, maxAdvance, who) = quota is null ? (operatorBounds.MaxWindow, operatorBounds.MaxAdvance, "an operator") : (quota.MaxWindow, quota.MaxAdvance, "a tenant");
        if (end - start > maxWindow)
        {
            errors.Add(new("end", $"the window is longer than {who} may reserve ({maxWindow})"));
        }

        if (start - now > maxAdvance)
        {
            errors.Add(new("start", $"is further ahead than {who} may reserve ({maxAdvance})"));
        }

        if (quota is null)
        {
            return errors;
        }

        var spans = others.ToList();
        var (cores, gpus) = PeakOverlap(spans, start, end);
        if (cores + resources.CpuMillicores > quota.MaxCores * 1000L)
        {
            errors.Add(new("resources.cpuMillicores", $"the tenant's reservations would hold {(cores + resources.CpuMillicores) / 1000.0:0.###} cores at once; its quota is {quota.MaxCores}"));
        }

        if (gpus + resources.Gpus > quota.MaxGpus)
        {
            errors.Add(new("resources.gpus", $"the tenant's reservations would hold {gpus + resources.Gpus} GPUs at once; its quota is {quota.MaxGpus}"));
        }

        return errors;
    }

    /// <summary>
    /// Checks that the reservation's scope could ever hold it (REST 422): <paramref name="capacities"/> are the total
    /// capacities of the data centers it may be allotted over (one for a data center's; a hub's online ones), and it asks
    /// no more than they have together of each resource, nor a GPU model none of them has. <paramref name="scope"/> names
    /// the scope in the reasons (<c>data center 'qingyang-1'</c>). Every problem, each naming its field.
    /// </summary>
    public static IReadOnlyList<ValidationError> ValidateScope(ResourceRequest resources, string scope, IReadOnlyCollection<ResourceVector> capacities)
    {
        var errors = new List<ValidationError>();
        var total = capacities.Aggregate(ResourceVector.Zero, (sum, c) => sum.Plus(c));
        if (resources.CpuMillicores > total.CpuMillicores)
        {
            errors.Add(new("resources.cpuMillicores", $"{scope} has {total.CpuMillicores} millicores in all; it can never hold {resources.CpuMillicores}"));
        }

        if (resources.MemoryMiB > total.MemoryMiB)
        {
            errors.Add(new("resources.memoryMiB", $"{scope} has {total.MemoryMiB} MiB in all; it can never hold {resources.MemoryMiB}"));
        }

        if (resources is { Gpus: > 0, EffectiveGpuModel: { } model })
        {
            if (total.GpusOf(model) == 0)
            {
                var models = total.Gpus.Where(g => g.Value > 0).Select(g => g.Key).ToList();
                errors.Add(new("resources.gpuModel", $"{scope} has no {ValidationError.Quote(model)} GPUs (it has {(models.Count == 0 ? "no GPUs" : string.Join(", ", models))})"));
            }
            else if (resources.Gpus > total.GpusOf(model))
            {
                errors.Add(new("resources.gpus", $"{scope} has {total.GpusOf(model)} {model} GPUs in all; it can never hold {resources.Gpus}"));
            }
        }

        return errors;
    }

    /// <summary>
    /// Whether a job may name the reservation: it is live, the job's, the job fits one of its data centers' shares, and a
    /// run of the job's declared run time started at the latest of now and the window's start ends by its end. Null when
    /// it may; else why, on the field <c>reservation</c>.
    /// </summary>
    public static ValidationError? ValidateUse(
        string reservationId, string jobTenant, ResourceRequest jobResources, TimeSpan runTime, string reservationTenant, bool cancelled,
        IEnumerable<ResourceRequest> shares, DateTimeOffset start, DateTimeOffset end, DateTimeOffset now)
    {
        if (jobTenant != reservationTenant)
        {
            return new("reservation", $"no reservation '{reservationId}' of tenant '{jobTenant}'");
        }

        if (cancelled)
        {
            return new("reservation", $"reservation '{reservationId}' was cancelled");
        }

        if (now >= end)
        {
            return new("reservation", $"reservation '{reservationId}' ended at {end:O}");
        }

        if (!shares.Any(s => AsVector(s).Fits(jobResources)))
        {
            return new("reservation", $"the job ({jobResources}) does not fit reservation '{reservationId}' (its largest share at one data center is {shares.OrderByDescending(s => s.CpuMillicores).FirstOrDefault()})");
        }

        var from = now > start ? now : start;
        return from + runTime > end
            ? new("reservation", $"a run of {runTime} from {from:O} would not end before reservation '{reservationId}' closes at {end:O}")
            : null;
    }

    /// <summary>
    /// Allots a hub reservation over its data centers (in the order given, with what each has free over the whole
    /// window): all at the first that holds it whole; else in shares of the same proportions, each as large as the data
    /// center's free capacity allows (a GPU reservation only from data centers with that model free). Null when they cannot hold it together.
    /// </summary>
    public static IReadOnlyList<(string DataCenterId, ResourceRequest Share)>? Allot(ResourceRequest amount, IReadOnlyList<(string DataCenterId, ResourceVector Free)> candidates)
    {
        if (candidates.FirstOrDefault(c => c.Free.Fits(amount)) is { DataCenterId: { } whole })
        {
            return [(whole, amount)];
        }

        var model = amount.EffectiveGpuModel;
        var (cpu, memory, gpus) = (amount.CpuMillicores, amount.MemoryMiB, amount.Gpus);
        var shares = new List<(string, ResourceRequest)>();
        foreach (var (dataCenterId, free) in candidates)
        {
            if (cpu <= 0 && memory <= 0 && gpus <= 0)
            {
                break;
            }

            // A share keeps the reservation's proportions, as far as the data center's free capacity goes (a job fits a share).
            var fraction = Math.Min(1.0, Math.Min((double)Math.Max(0, free.CpuMillicores) / amount.CpuMillicores, (double)Math.Max(0, free.MemoryMiB) / amount.MemoryMiB));
            var shareGpus = 0;
            if (model is not null)
            {
                shareGpus = Math.Min(gpus, Math.Min(Math.Max(0, free.GpusOf(model)), (int)Math.Floor(fraction * amount.Gpus)));
                fraction = (double)shareGpus / amount.Gpus;
            }

            var share = new ResourceRequest(
                Math.Min(cpu, Math.Min(Math.Max(0, free.CpuMillicores), (long)Math.Ceiling(fraction * amount.CpuMillicores))),
                Math.Min(memory, Math.Min(Math.Max(0, free.MemoryMiB), (long)Math.Ceiling(fraction * amount.MemoryMiB))),
                shareGpus,
                model);
            if (share.CpuMillicores < 1 || share.MemoryMiB < 1 || (model is not null && share.Gpus < 1))
            {
                continue;
            }

            shares.Add((dataCenterId, share));
            (cpu, memory, gpus) = (cpu - share.CpuMillicores, memory - share.MemoryMiB, gpus - share.Gpus);
        }

        return cpu <= 0 && memory <= 0 && gpus <= 0 ? shares : null;
    }

    /// <summary>The request as a vector (its capacity when it is a reservation's share).</summary>
    public static ResourceVector AsVector(ResourceRequest r) =>
        ResourceVector.Of(r.CpuMillicores, r.MemoryMiB, r.EffectiveGpuModel is { } m ? [new(m, r.Gpus)] : null);

    private static (long Millicores, int Gpus) PeakOverlap(IReadOnlyList<ReservedSpan> spans, DateTimeOffset start, DateTimeOffset end)
    {
        var (cores, gpus) = (0L, 0);
        foreach (var at in spans.Select(s => s.Start).Where(s => s > start && s < end).Prepend(start))
        {
            var live = spans.Where(s => s.Start <= at && at < s.End).ToList();
            cores = Math.Max(cores, live.Sum(s => s.Resources.CpuMillicores));
            gpus = Math.Max(gpus, live.Sum(s => s.Resources.Gpus));
        }

        return (cores, gpus);
    }

    [GeneratedRegex("^[A-Za-z0-9._-]+$")]
    private static partial Regex IdPattern();
}
