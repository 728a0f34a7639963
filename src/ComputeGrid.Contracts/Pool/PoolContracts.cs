using ComputeGrid.Domain;
using ComputeGrid.Domain.Accounting;
using ComputeGrid.Domain.Resources;
using ComputeGrid.Domain.Topology;

namespace ComputeGrid.Contracts.Pool;

/// <summary>A data center as the pool's directory lists it.</summary>
/// <param name="Spec">Its description.</param>
/// <param name="Status">Online, Draining or Offline.</param>
/// <param name="CommandTenants">Tenants whose commands its agents run (<c>*</c>: every tenant); null when it has no agent.</param>
/// <param name="Prices">Its list prices in force, copied from its price book (the owner); null for the defaults.</param>
[GenerateSerializer, Immutable, Alias("cg.DirectoryEntry")]
public sealed record DirectoryEntry(
    [property: Id(0)] DataCenterSpec Spec,
    [property: Id(1)] DataCenterStatus Status,
    [property: Id(2)] IReadOnlyList<string>? CommandTenants = null,
    [property: Id(3)] Domain.Market.PriceList? Prices = null);

/// <summary>The pool's data centers at one version; every change bumps the version.</summary>
[GenerateSerializer, Immutable, Alias("cg.PoolDirectory")]
public sealed record PoolDirectory([property: Id(0)] long Version, [property: Id(1)] IReadOnlyList<DirectoryEntry> DataCenters);

/// <summary>One data center's capacity and use right now.</summary>
/// <param name="Spec">Its description.</param>
/// <param name="Status">Online, Draining or Offline.</param>
/// <param name="Used">Sum of reservations.</param>
/// <param name="Free">Capacity minus use.</param>
/// <param name="Reservations">Jobs holding capacity.</param>
/// <param name="Executed">Footprint of the work that finished here.</param>
/// <param name="JobsFinished">Jobs that finished here.</param>
/// <param name="Lent">Capacity held for loans to other hubs (part of <paramref name="Used"/>).</param>
/// <param name="BorrowedJobs">Other hubs' jobs running here on loans (part of <paramref name="Reservations"/>).</param>
/// <param name="Windows">Advance reservations' windows here, scheduled and open (null from an older silo).</param>
/// <param name="BorrowedJobsByLoan">Other hubs' jobs running here now, by the loan they run on (null from an older silo).</param>
[GenerateSerializer, Immutable, Alias("cg.DataCenterSnapshot")]
public sealed record DataCenterSnapshot(
    [property: Id(0)] DataCenterSpec Spec,
    [property: Id(1)] DataCenterStatus Status,
    [property: Id(2)] ResourceVector Used,
    [property: Id(3)] ResourceVector Free,
    [property: Id(4)] int Reservations,
    [property: Id(5)] Footprint Executed,
    [property: Id(6)] long JobsFinished,
    [property: Id(7)] ResourceVector Lent,
    [property: Id(8)] int BorrowedJobs,
    [property: Id(9)] IReadOnlyList<Reservations.ReservationWindowView>? Windows = null,
    [property: Id(10)] IReadOnlyDictionary<string, int>? BorrowedJobsByLoan = null);

/// <summary>One hub: its data centers, queue and totals.</summary>
[GenerateSerializer, Immutable, Alias("cg.HubSnapshot")]
public sealed record HubSnapshot(
    [property: Id(0)] Hub Hub,
    [property: Id(1)] IReadOnlyList<DataCenterSnapshot> DataCenters,
    [property: Id(2)] int QueueLength,
    [property: Id(3)] ResourceVector Capacity,
    [property: Id(4)] ResourceVector Used,
    [property: Id(5)] Footprint Executed);

/// <summary>The national pool: every hub and the totals.</summary>
[GenerateSerializer, Immutable, Alias("cg.PoolSnapshot")]
public sealed record PoolSnapshot(
    [property: Id(0)] IReadOnlyList<HubSnapshot> Hubs,
    [property: Id(1)] ResourceVector Capacity,
    [property: Id(2)] ResourceVector Used,
    [property: Id(3)] int Queued,
    [property: Id(4)] Footprint Executed);

/// <summary>The answer to an operator's change: done, or the errors (then nothing changed).</summary>
[GenerateSerializer, Immutable, Alias("cg.AdminResult")]
public sealed record AdminResult([property: Id(0)] IReadOnlyList<ValidationError> Errors, [property: Id(1)] bool NotFound)
{
    /// <summary>True when the change was made.</summary>
    public bool Succeeded => Errors.Count == 0 && !NotFound;

    /// <summary>Done.</summary>
    public static AdminResult Ok { get; } = new([], false);

    /// <summary>The data center does not exist.</summary>
    public static AdminResult Missing(string id) => new([new ValidationError("dataCenterId", $"no data center '{id}'")], true);

    /// <summary>Refused with one error.</summary>
    public static AdminResult Refused(string field, string reason) => new([new ValidationError(field, reason)], false);
}

/// <summary>The outcome of a reservation at a data center.</summary>
[GenerateSerializer, Alias("cg.ReservationOutcome")]
public enum ReservationOutcome
{
    /// <summary>Reserved now.</summary>
    Reserved,

    /// <summary>Already reserved by the same job (idempotent retry).</summary>
    AlreadyReserved,

    /// <summary>Not enough free capacity.</summary>
    Insufficient,

    /// <summary>The job holds a different reservation there.</summary>
    Conflict,

    /// <summary>The data center takes no new work (draining, offline or removed).</summary>
    NotAccepting,

    /// <summary>The caller is not the data center's hub and holds no open loan here (or the loan's slice is closed).</summary>
    NoLoan,

    /// <summary>The advance reservation the job names has no window here, or it is another tenant's.</summary>
    NoReservation,
}

/// <summary>A reservation's outcome and the data center's free capacity after it (for placement's summaries).</summary>
[GenerateSerializer, Immutable, Alias("cg.ReservationResult")]
public sealed record ReservationResult(
    [property: Id(0)] ReservationOutcome Outcome,
    [property: Id(1)] ResourceVector Free,
    [property: Id(2)] DataCenterStatus Status)
{
    /// <summary>True when the job holds the reservation now.</summary>
    public bool Holds => Outcome is ReservationOutcome.Reserved or ReservationOutcome.AlreadyReserved;
}

/// <summary>One job's reservation in a batch its data center's own region asks for.</summary>
/// <param name="JobId">The job.</param>
/// <param name="Resources">What it needs.</param>
/// <param name="Priority">Its priority (0..1000, higher first).</param>
/// <param name="RunTime">Its declared run time (a command's wall-time limit): the data center holds its capacity for a bounded run and judges it against advance reservations' windows. Null (an older caller): unbounded.</param>
/// <param name="Tenant">Its tenant (a job inside an advance reservation must be the reservation's); null when not given.</param>
[GenerateSerializer, Immutable, Alias("cg.ReservationAsk")]
public sealed record ReservationAsk(
    [property: Id(0)] string JobId,
    [property: Id(1)] ResourceRequest Resources,
    [property: Id(2)] int Priority,
    [property: Id(3)] TimeSpan? RunTime = null,
    [property: Id(4)] string? Tenant = null);
