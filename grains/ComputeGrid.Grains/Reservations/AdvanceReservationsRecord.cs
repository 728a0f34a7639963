using ComputeGrid.Contracts.Reservations;

namespace ComputeGrid.Grains.Reservations;

/// <summary>The persisted book of advance reservations.</summary>
[GenerateSerializer, Alias("cg.AdvanceReservationsRecord")]
internal sealed class AdvanceReservationsRecord
{
    [Id(0)] public Dictionary<string, StoredReservation> Reservations { get; set; } = new(StringComparer.Ordinal);
}

/// <summary>One reservation as stored.</summary>
[GenerateSerializer, Alias("cg.StoredReservation")]
internal sealed class StoredReservation
{
    [Id(0)] public required AdvanceReservationRequest Request { get; init; }

    [Id(1)] public required List<AdvanceReservationShare> Shares { get; init; }

    [Id(2)] public DateTimeOffset CreatedAt { get; init; }

    [Id(3)] public bool ByOperator { get; init; }

    /// <summary>Written before its data centers are asked: one left so by a crash was never answered, and is undone on activation.</summary>
    [Id(4)] public bool Admitting { get; set; }

    [Id(5)] public DateTimeOffset? CancelledAt { get; set; }

    [Id(6)] public string? CancelReason { get; set; }

    /// <summary>The reservation as read at <paramref name="now"/>.</summary>
    public AdvanceReservation View(DateTimeOffset now) => new(
        Request,
        Shares,
        CancelledAt is not null ? AdvanceReservationState.Cancelled
            : now >= Request.End ? AdvanceReservationState.Ended
            : now >= Request.Start ? AdvanceReservationState.Open
            : AdvanceReservationState.Scheduled,
        CreatedAt,
        ByOperator,
        CancelledAt,
        CancelReason);
}
