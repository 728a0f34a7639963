using ComputeGrid.Contracts.Loans;
using ComputeGrid.Contracts.Pool;
using ComputeGrid.Contracts.Reservations;
using ComputeGrid.Domain.Capacity;
using ComputeGrid.Domain.Reservations;

namespace ComputeGrid.Grains.DataCenters;

/// <summary>How a data center's book reads on the wire: its answers to reservations, its slices and its snapshot.</summary>
internal static class DataCenterViews
{
    public static ReservationResult Result(ReserveDecision decision) => new(
        decision.Verdict switch
        {
            ReserveVerdict.Reserved => ReservationOutcome.Reserved,
            ReserveVerdict.AlreadyReserved => ReservationOutcome.AlreadyReserved,
            ReserveVerdict.Conflict => ReservationOutcome.Conflict,
            ReserveVerdict.Insufficient => ReservationOutcome.Insufficient,
            ReserveVerdict.NoLoan => ReservationOutcome.NoLoan,
            ReserveVerdict.NoReservation => ReservationOutcome.NoReservation,
            _ => ReservationOutcome.NotAccepting,
        },
        decision.Free,
        decision.Status);

    public static IReadOnlyList<LoanSliceUse> Slices(DataCenterBook book) => [.. book.Slices.Select(l =>
    {
        var ledger = l.Value.Ledger();
        return new LoanSliceUse(
            l.Key,
            l.Value.Borrower,
            ledger.Capacity,
            ledger.Used,
            l.Value.State == SliceState.Open,
            l.Value.Reservations.Count,
            l.Value.Priorities.Count == 0 ? null : l.Value.Priorities.Values.Max());
    })];

    public static DataCenterSnapshot Snapshot(DataCenterBook book) =>
        new(book.Spec!, book.Status, book.Ledger.Used, book.Ledger.Free, book.OwnJobs + book.BorrowedJobs, book.Executed, book.JobsFinished, book.Lent, book.BorrowedJobs, Windows(book), book.BorrowedJobsByLoan);

    public static IReadOnlyList<ReservationWindowView> Windows(DataCenterBook book) => [.. book.Windows.OrderBy(w => w.Value.Start).Select(w =>
        new ReservationWindowView(w.Key, w.Value.Tenant, w.Value.Amount, w.Value.Start, w.Value.End, w.Value.State == WindowState.Open, w.Value.Ledger().Used, w.Value.Reservations.Count))];
}
