using ComputeGrid.Domain.Resources;

namespace ComputeGrid.Domain.Capacity;

/// <summary>Where a loan's slice of a data center stands. One state, so no two flags can contradict each other.</summary>
public enum SliceState
{
    /// <summary>Held for an offered loan: the lender's own jobs cannot use it, the borrower's not yet.</summary>
    Held,

    /// <summary>The loan was accepted: the borrower's jobs reserve inside it.</summary>
    Open,

    /// <summary>Recalled, returned or expired: no new borrowed job; it goes back to the data center once its last job ends.</summary>
    Closing,
}

/// <summary>
/// A loan's slice held at one data center (the lender's side of the loan's slice there): its amount is one reservation in the data center's own ledger (so the lender's own
/// jobs cannot use it), and the borrower's jobs reserve inside it.
/// </summary>
public sealed class HeldSlice
{
    /// <summary>A slice held for <paramref name="borrower"/>.</summary>
    public HeldSlice(string borrower, ResourceRequest amount, SliceState state = SliceState.Held)
    {
        Borrower = borrower;
        Amount = amount;
        State = state;
    }

    /// <summary>The borrowing hub.</summary>
    public string Borrower { get; }

    /// <summary>The capacity held (one GPU model at most: a job runs on one model).</summary>
    public ResourceRequest Amount { get; }

    /// <summary>Where the slice stands.</summary>
    public SliceState State { get; set; }

    /// <summary>Borrowed jobs' reservations inside the slice, by job id.</summary>
    public Dictionary<string, ResourceRequest> Reservations { get; init; } = new(StringComparer.Ordinal);

    /// <summary>Borrowed jobs' priorities, by job id (the lender recalls from the lowest first).</summary>
    public Dictionary<string, int> Priorities { get; init; } = new(StringComparer.Ordinal);

    /// <summary>The slice as a ledger of its own: its capacity is the amount, its reservations the borrowed jobs'.</summary>
    public CapacityLedger Ledger() =>
        new(ResourceVector.Of(Amount.CpuMillicores, Amount.MemoryMiB, Amount.EffectiveGpuModel is { } m ? [new(m, Amount.Gpus)] : null), Reservations);
}
