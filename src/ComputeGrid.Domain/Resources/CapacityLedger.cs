namespace ComputeGrid.Domain.Resources;

/// <summary>The outcome of asking a <see cref="CapacityLedger"/> for a reservation.</summary>
public enum ReserveOutcome
{
    /// <summary>The reservation was made now.</summary>
    Reserved,

    /// <summary>The same job already holds the same reservation; nothing changed (idempotent retry).</summary>
    AlreadyReserved,

    /// <summary>Not enough free capacity; nothing changed.</summary>
    Insufficient,

    /// <summary>The job already holds a reservation of different resources; nothing changed.</summary>
    Conflict,
}

/// <summary>
/// One data center's capacity and its reservations keyed by job id. Reserve and release are idempotent by job id, and the
/// sum of reservations never exceeds the capacity.
/// </summary>
public sealed class CapacityLedger
{
    private readonly IDictionary<string, ResourceRequest> _reservations;
    private readonly IReadOnlyDictionary<string, ResourceRequest> _readOnly;

    /// <summary>
    /// Creates a ledger over <paramref name="reservations"/> (as restored from storage). The ledger keeps its reservations
    /// in that very dictionary, so the owner can persist it without copying (or shard it: any dictionary will do).
    /// </summary>
    public CapacityLedger(ResourceVector capacity, IDictionary<string, ResourceRequest>? reservations = null)
    {
        Capacity = capacity;
        _reservations = reservations ?? new Dictionary<string, ResourceRequest>(StringComparer.Ordinal);
        _readOnly = _reservations as IReadOnlyDictionary<string, ResourceRequest> ?? new System.Collections.ObjectModel.ReadOnlyDictionary<string, ResourceRequest>(_reservations);
        Used = _reservations.Values.Aggregate(ResourceVector.Zero, (sum, r) => sum.Plus(r));
    }

    /// <summary>The data center's total capacity.</summary>
    public ResourceVector Capacity { get; private set; }

    /// <summary>The sum of all reservations.</summary>
    public ResourceVector Used { get; private set; }

    /// <summary>Capacity minus use.</summary>
    public ResourceVector Free => Capacity.Minus(Used);

    /// <summary>Reservations by job id.</summary>
    public IReadOnlyDictionary<string, ResourceRequest> Reservations => _readOnly;

    /// <summary>Reserves <paramref name="request"/> for <paramref name="jobId"/> if it fits; idempotent by job id.</summary>
    public ReserveOutcome Reserve(string jobId, ResourceRequest request)
    {
        if (request.CpuMillicores < 0 || request.MemoryMiB < 0 || request.Gpus < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(request), request, "A reservation cannot be negative.");
        }

        if (_reservations.TryGetValue(jobId, out var existing))
        {
            return existing == request ? ReserveOutcome.AlreadyReserved : ReserveOutcome.Conflict;
        }

        if (!Free.Fits(request))
        {
            return ReserveOutcome.Insufficient;
        }

        _reservations[jobId] = request;
        Used = Used.Plus(request);
        return ReserveOutcome.Reserved;
    }

    /// <summary>Releases the reservation of <paramref name="jobId"/>; false (and no change) when it holds none.</summary>
    public bool Release(string jobId)
    {
        if (!_reservations.Remove(jobId, out var request))
        {
            return false;
        }

        Used = Used.Minus(request);
        return true;
    }

    /// <summary>
    /// Changes the capacity. Refused (false, no change) when the current reservations would no longer fit, so a resize
    /// can never over-commit the data center.
    /// </summary>
    public bool TryResize(ResourceVector capacity)
    {
        if (!Used.IsWithin(capacity))
        {
            return false;
        }

        Capacity = capacity;
        return true;
    }
}
