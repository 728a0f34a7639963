using System.Globalization;
using ComputeGrid.Contracts;
using ComputeGrid.Contracts.Loans;
using ComputeGrid.Domain.Loans;
using ComputeGrid.Domain.Resources;
using ComputeGrid.Grains.Hosting;

namespace ComputeGrid.Grains.Loans;

/// <summary>A loan as the book keeps it: its latest summary and its place in the listing order.</summary>
[GenerateSerializer, Alias("cg.BookEntry")]
internal sealed record BookEntry([property: Id(0)] LoanSummary Loan, [property: Id(1)] long Sequence);

/// <summary>The book's persisted state.</summary>
[GenerateSerializer, Alias("cg.LoanBookRecord")]
internal sealed class LoanBookRecord
{
    [Id(0)] public Dictionary<string, BookEntry> Loans { get; set; } = new(StringComparer.Ordinal);

    [Id(1)] public long NextSequence { get; set; } = 1;
}

/// <summary>
/// The federation's book of loans: every loan's latest summary, for listings and hub balances. Loans announce every change
/// one way; the book keeps the highest version, so late or repeated announcements change nothing.
/// </summary>
internal sealed class LoanBookGrain(
    [PersistentState("loanbook", GridStorage.Name)] IPersistentState<LoanBookRecord> state,
    TopologyCatalog catalog) : Grain, ILoanBookGrain
{
    /// <summary>Most rows in one page.</summary>
    public const int MaxPageSize = 500;

    private LoanBookRecord Record => state.State;

    public async Task OnLoanChangedAsync(LoanSummary loan)
    {
        if (Record.Loans.TryGetValue(loan.LoanId, out var known) && known.Loan.Version >= loan.Version)
        {
            return;
        }

        Record.Loans[loan.LoanId] = new BookEntry(loan, known?.Sequence ?? Record.NextSequence++);
        await state.WriteStateAsync();
    }

    public Task<LoanPage> ListAsync(string? hubId, LoanState? state, int limit, string? cursor, CancellationToken cancellationToken = default)
    {
        limit = Math.Clamp(limit, 1, MaxPageSize);
        var before = cursor is null ? long.MaxValue : long.Parse(cursor, CultureInfo.InvariantCulture);
        var page = Record.Loans.Values
            .Where(e => e.Sequence < before
                && (hubId is null || e.Loan.Lender == hubId || e.Loan.Borrower == hubId)
                && (state is null || e.Loan.State == state))
            .OrderByDescending(e => e.Sequence)
            .Take(limit + 1)
            .ToList();
        var next = page.Count > limit ? page[limit - 1].Sequence.ToString(CultureInfo.InvariantCulture) : null;
        return Task.FromResult(new LoanPage([.. page.Take(limit).Select(e => e.Loan)], next));
    }

    public Task<IReadOnlyList<HubBalance>> GetBalancesAsync(CancellationToken cancellationToken = default)
    {
        var loans = Record.Loans.Values.Select(e => e.Loan).ToList();
        var balances = catalog.Seed.Hubs.Keys.Order(StringComparer.Ordinal).Select(hub =>
        {
            var lent = loans.Where(l => l.Lender == hub && l.AcceptedAt is not null).ToList();
            var borrowed = loans.Where(l => l.Borrower == hub && l.AcceptedAt is not null).ToList();
            return new HubBalance(
                hub,
                Sum(loans.Where(l => l.Lender == hub && l.State.IsOpen())),
                Sum(loans.Where(l => l.Borrower == hub && l.State.IsOpen())),
                lent.Count,
                borrowed.Count,
                lent.Aggregate(default(LoanUsage), (sum, l) => sum + l.Usage),
                borrowed.Aggregate(default(LoanUsage), (sum, l) => sum + l.Usage),
                lent.Sum(l => l.Usage.ChargeCny),
                borrowed.Sum(l => l.Usage.ChargeCny));
        });
        return Task.FromResult<IReadOnlyList<HubBalance>>([.. balances]);
    }

    private static ResourceVector Sum(IEnumerable<LoanSummary> loans) => loans.Aggregate(ResourceVector.Zero, (sum, l) => sum.Plus(l.Amount));
}
