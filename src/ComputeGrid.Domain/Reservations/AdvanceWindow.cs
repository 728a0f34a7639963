using ComputeGrid.Domain.Resources;

namespace ComputeGrid.Domain.Reservations;

/// <summary>Where an advance reservation's window stands at one data center.</summary>
public enum WindowState
{
    /// <summary>Admitted, not open yet: the capacity is free for anyone whose bounded run ends before the window opens.</summary>
    Scheduled,

    /// <summary>Open: its amount is one entry in the data center's ledger, and only its tenant's jobs that name it reserve inside.</summary>
    Open,
}

/// <summary>
/// An advance reservation's share at one data center (its window there). While it is open its amount is one entry in the
/// data center's own ledger (as a loan slice is), and the jobs that name it reserve inside that entry.
/// </summary>
public sealed class AdvanceWindow
{
    /// <summary>A window for <paramref name="tenant"/> holding <paramref name="amount"/> over [<paramref name="start"/>, <paramref name="end"/>).</summary>
    public AdvanceWindow(string tenant, ResourceRequest amount, DateTimeOffset start, DateTimeOffset end, WindowState state = WindowState.Scheduled)
    {
        Tenant = tenant;
        Amount = amount;
        Start = start;
        End = end;
        State = state;
    }

    /// <summary>The only tenant whose jobs use it.</summary>
    public string Tenant { get; }

    /// <summary>The capacity it holds while open (one GPU model at most).</summary>
    public ResourceRequest Amount { get; }

    /// <summary>When it opens (inclusive).</summary>
    public DateTimeOffset Start { get; }

    /// <summary>When it closes (exclusive).</summary>
    public DateTimeOffset End { get; }

    /// <summary>Where it stands.</summary>
    public WindowState State { get; set; }

    /// <summary>The reservation's jobs inside it, by job id.</summary>
    public Dictionary<string, ResourceRequest> Reservations { get; init; } = new(StringComparer.Ordinal);

    /// <summary>The hub that placed each job inside it, by job id.</summary>
    public Dictionary<string, string> PlacedBy { get; init; } = new(StringComparer.Ordinal);

    /// <summary>True at every instant of [Start, End).</summary>
    public bool Covers(DateTimeOffset at) => Start <= at && at < End;

    /// <summary>The window as a ledger of its own: its capacity is the amount, its reservations its jobs'.</summary>
    public CapacityLedger Ledger() =>
        new(ResourceVector.Of(Amount.CpuMillicores, Amount.MemoryMiB, Amount.EffectiveGpuModel is { } m ? [new(m, Amount.Gpus)] : null), Reservations);
}
