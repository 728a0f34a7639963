using ComputeGrid.Contracts.Pool;
using ComputeGrid.Domain;
using ComputeGrid.Domain.Accounting;
using ComputeGrid.Domain.Resources;
using Microsoft.Extensions.Logging;

namespace ComputeGrid.Grains.DataCenters;

/// <summary>
/// The data center's side of advance reservations: it admits a window only if it can be honoured, judges every job's
/// bounded run against the windows, holds a window's capacity while it is open and lets its tenant's jobs reserve inside,
/// and recalls loans a window needs. The decisions are the book's; the windows live in the record, so a timer started on
/// every activation (the wake reminder activates it after a restart of the whole cluster) opens and closes them.
/// </summary>
internal sealed partial class DataCenterGrain
{
    private IGrainTimer? _windowTimer;

    public async Task<ReservationResult> ReserveOneAsync(string hubId, ReservationAsk ask, string? loanId, CancellationToken cancellationToken = default)
    {
        using var activity = Telemetry.GridTracing.Start("reserve", ask.JobId, hub: hubId, dataCenter: Id, loanId: loanId);
        var decision = Book.Reserve(ask.JobId, ask.Resources, hubId, loanId, ask.Priority, clock.Now, BoundedEnd(ask));
        _suspects.Remove(ask.JobId);
        await DurableAsync(decision);
        return DataCenterViews.Result(decision);
    }

    public async Task<ReservationResult> ReserveInReservationAsync(string hubId, ReservationAsk ask, string reservationId, CancellationToken cancellationToken = default)
    {
        using var activity = Telemetry.GridTracing.Start("reserve in reservation", ask.JobId, hub: hubId, dataCenter: Id);
        var decision = Book.ReserveInWindow(ask.JobId, ask.Resources, reservationId, ask.Tenant ?? string.Empty, hubId, BoundedEnd(ask) ?? DateTimeOffset.MaxValue);
        _suspects.Remove(ask.JobId);
        await DurableAsync(decision);
        return DataCenterViews.Result(decision);
    }

    public async Task<ValidationError?> AdmitReservationAsync(string reservationId, string tenant, ResourceRequest resources, DateTimeOffset start, DateTimeOffset end, CancellationToken cancellationToken = default)
    {
        if (Book.AdmitWindow(reservationId, tenant, resources, start, end, clock.Now, out var changed) is { } refusal)
        {
            return refusal;
        }

        // A new window, or a retry of one that may still be on its way to storage: answered once it is there.
        await Commit.CommitAsync();
        if (changed)
        {
            LogAdmitted(logger, Id, reservationId, tenant, resources, start, end);
        }

        StartWindowTimer();
        return null;
    }

    public async Task CancelReservationAsync(string reservationId, CancellationToken cancellationToken = default)
    {
        if (Book.CancelWindow(reservationId) is not { } intents)
        {
            return;
        }

        await Commit.CommitAsync();
        LogWindowCancelled(logger, Id, reservationId);
        await CarryOutAsync(intents, TimeSpan.Zero, Footprint.Zero, string.Empty);
    }

    public Task<ResourceVector> GetReservableAsync(DateTimeOffset start, DateTimeOffset end, CancellationToken cancellationToken = default) =>
        Task.FromResult(Book.ReservableBetween(start, end));

    public async Task TickReservationsAsync(CancellationToken cancellationToken = default)
    {
        if (!Exists || Book.Windows.Count == 0)
        {
            return;
        }

        var tick = Book.TickWindows(clock.Now, loanOptions.Value.RecallNotice);
        if (tick.Changed)
        {
            await Commit.CommitAsync();
            foreach (var opened in tick.Opened)
            {
                LogWindowOpened(logger, Id, opened);
            }

            foreach (var closed in tick.Closed)
            {
                LogWindowClosed(logger, Id, closed);
            }
        }

        await CarryOutAsync(tick.Intents, TimeSpan.Zero, Footprint.Zero, "an advance reservation's window needs the capacity");
    }

    public Task<ResourceVector> HoldForLoanUntilAsync(string loanId, string borrower, ResourceVector amount, DateTimeOffset until, CancellationToken cancellationToken = default) =>
        HoldAsync(loanId, borrower, amount, until);

    /// <summary>Holds for a loan what stays free of the windows over its term (null: for ever).</summary>
    private async Task<ResourceVector> HoldAsync(string loanId, string borrower, ResourceVector amount, DateTimeOffset? until)
    {
        using var activity = Telemetry.GridTracing.Start("hold for loan", dataCenter: Id, loanId: loanId, peerHub: borrower);
        var held = Book.HoldForLoan(loanId, borrower, amount, out var changed, clock.Now, until);
        if (changed)
        {
            await Commit.CommitAsync();
            LogHeld(logger, Id, loanId, borrower, Book.Slices[loanId].Amount);
        }
        else if (held != ResourceVector.Zero)
        {
            // A retry of a hold that may still be on its way to storage: answer it once it is there.
            await Commit.CommitAsync();
        }

        return held;
    }

    /// <summary>When a job's capacity is let go at the latest: its declared run time, and the time until it starts.</summary>
    private DateTimeOffset? BoundedEnd(ReservationAsk ask) => ask.RunTime is { } runTime ? clock.Now + runTime + reservationOptions.Value.StartGrace : null;

    /// <summary>Starts the windows' timer once the data center has one (it lives with the activation; the record keeps the windows).</summary>
    private void StartWindowTimer()
    {
        if (_windowTimer is not null || Book.Windows.Count == 0)
        {
            return;
        }

        var every = reservationOptions.Value.TickInterval;
        _windowTimer = this.RegisterGrainTimer(TickReservationsAsync, new GrainTimerCreationOptions(TimeSpan.Zero, every) { Interleave = false, KeepAlive = true });
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Data center {DataCenterId} admitted advance reservation {ReservationId} of {Tenant}: {Resources} over [{Start}, {End})")]
    private static partial void LogAdmitted(ILogger logger, string dataCenterId, string reservationId, string tenant, ResourceRequest resources, DateTimeOffset start, DateTimeOffset end);

    [LoggerMessage(Level = LogLevel.Information, Message = "Data center {DataCenterId} opened advance reservation {ReservationId}'s window")]
    private static partial void LogWindowOpened(ILogger logger, string dataCenterId, string reservationId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Data center {DataCenterId} closed advance reservation {ReservationId}'s window")]
    private static partial void LogWindowClosed(ILogger logger, string dataCenterId, string reservationId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Data center {DataCenterId} cancelled advance reservation {ReservationId}'s window")]
    private static partial void LogWindowCancelled(ILogger logger, string dataCenterId, string reservationId);
}
