using ComputeGrid.Contracts.Loans;
using ComputeGrid.Domain.Loans;

namespace ComputeGrid.Grains.Loans;

/// <summary>A loan's persisted state; the <see cref="LoanBook"/>'s sheet.</summary>
[GenerateSerializer, Alias("cg.LoanRecord")]
internal sealed class LoanRecord : ILoanSheet
{
    [Id(0)] public LoanTerms? Terms { get; set; }

    [Id(1)] public LoanState State { get; set; }

    [Id(2)] public DateTimeOffset OfferedAt { get; set; }

    [Id(3)] public DateTimeOffset? AcceptedAt { get; set; }

    [Id(4)] public DateTimeOffset? EndsAt { get; set; }

    [Id(5)] public DateTimeOffset? RecallAt { get; set; }

    [Id(6)] public LoanState? DrainingTo { get; set; }

    [Id(7)] public HashSet<string> Drained { get; set; } = new(StringComparer.Ordinal);

    [Id(8)] public HashSet<string> SettledJobs { get; set; } = new(StringComparer.Ordinal);

    [Id(9)] public LoanUsage Usage { get; set; }

    [Id(10)] public List<LoanEvent> History { get; set; } = [];

    [Id(11)] public bool DrainPreempts { get; set; }

    /// <summary>Bumped by every change, so that the book can tell a late announcement from a newer one.</summary>
    [Id(12)] public long Version { get; set; }

    ISet<string> ILoanSheet.Drained => Drained;

    ISet<string> ILoanSheet.SettledJobs => SettledJobs;

    int ILoanSheet.Steps => History.Count;

    void ILoanSheet.Add(LoanStep step) => History.Add(new LoanEvent(step.Sequence, step.State, step.At, step.Detail));
}
