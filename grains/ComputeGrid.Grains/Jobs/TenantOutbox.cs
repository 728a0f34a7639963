using ComputeGrid.Contracts.Jobs;
using ComputeGrid.Contracts.Tenants;

namespace ComputeGrid.Grains.Jobs;

/// <summary>
/// What a job's tenant has not confirmed yet: the job's newest row and the runs of it to book. The tenant applies both
/// idempotently (a row by version, a booking by id), so whatever is unconfirmed is simply sent again (the job keeps one
/// send in flight; an overlapping one would be harmless). A send that fails leaves everything it carried pending; a send that succeeds confirms what it carried only,
/// never a row or booking posted while it was in flight.
/// </summary>
internal sealed class TenantOutbox
{
    private readonly List<TenantBooking> _bookings = [];
    private JobSummary? _row;
    private long _confirmed;

    /// <summary>Whether the tenant has yet to confirm a row or a booking (bookings go with a row, so never before the first).</summary>
    public bool Pending => _row is { } row && (row.Version > _confirmed || _bookings.Count > 0);

    /// <summary>The job's newest row; an older one than the row already posted is ignored.</summary>
    public void Post(JobSummary row)
    {
        if (_row is null || row.Version >= _row.Version)
        {
            _row = row;
        }
    }

    /// <summary>A run to book; the same booking posted twice is booked once.</summary>
    public void Post(TenantBooking booking)
    {
        if (!_bookings.Exists(b => b.BookingId == booking.BookingId))
        {
            _bookings.Add(booking);
        }
    }

    /// <summary>
    /// Sends what is pending (nothing when nothing is) with <paramref name="send"/> and confirms it when the send
    /// answers. A failure of the call, whatever it is, is returned rather than thrown and leaves everything pending: the
    /// tenant applies rows and bookings idempotently, so sending them again is always safe.
    /// </summary>
    public async Task<Exception?> SendAsync(Func<JobSummary, IReadOnlyList<TenantBooking>, Task> send)
    {
        if (!Pending || _row is not { } row)
        {
            return null;
        }

        var bookings = _bookings.ToArray();
        try
        {
            await send(row, bookings);
        }
        catch (Exception e)
        {
            return e;
        }

        _confirmed = Math.Max(_confirmed, row.Version);
        _bookings.RemoveAll(b => Array.Exists(bookings, sent => sent.BookingId == b.BookingId));
        return null;
    }
}
