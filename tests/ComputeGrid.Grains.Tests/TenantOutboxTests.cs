using ComputeGrid.Contracts.Jobs;
using ComputeGrid.Contracts.Tenants;
using ComputeGrid.Domain.Accounting;
using ComputeGrid.Domain.Jobs;
using ComputeGrid.Grains.Jobs;

namespace ComputeGrid.Grains.Tests;

/// <summary>
/// What a job's tenant has not confirmed stays pending until a send of it is answered (<see cref="TenantOutbox"/>): the
/// tenant's index and accounts are never short of a row or booking because one message was lost or one write failed.
/// </summary>
public sealed class TenantOutboxTests
{
    private static readonly TenantBooking Run = new("job-1.run-1", new Footprint(1.5, 0.7, 3.2));

    private static JobSummary Row(JobState state, long version) =>
        new("job-1", "acme", state, "yangtze", "yangtze-1", DateTimeOffset.UnixEpoch, 0, version);

    [Fact]
    public async Task A_row_the_tenant_confirmed_is_not_sent_again()
    {
        var outbox = new TenantOutbox();
        var sent = new List<JobSummary>();
        outbox.Post(Row(JobState.Pending, 1));

        Assert.Null(await outbox.SendAsync((row, _) => { sent.Add(row); return Task.CompletedTask; }));
        Assert.Null(await outbox.SendAsync((row, _) => { sent.Add(row); return Task.CompletedTask; }));

        Assert.False(outbox.Pending);
        Assert.Single(sent);
    }

    [Fact]
    public async Task A_failed_send_leaves_the_row_and_the_booking_pending_and_the_next_send_carries_both()
    {
        var outbox = new TenantOutbox();
        outbox.Post(Row(JobState.Succeeded, 4));
        outbox.Post(Run);

        var fault = await outbox.SendAsync((_, _) => Task.FromException(new TimeoutException("the tenant did not answer")));

        Assert.IsType<TimeoutException>(fault);
        Assert.True(outbox.Pending);
        (JobSummary Row, IReadOnlyList<TenantBooking> Bookings)? carried = null;
        Assert.Null(await outbox.SendAsync((row, bookings) => { carried = (row, bookings); return Task.CompletedTask; }));
        Assert.Equal(4, carried!.Value.Row.Version);
        Assert.Equal([Run], carried.Value.Bookings);
        Assert.False(outbox.Pending);
    }

    [Fact]
    public async Task A_row_and_a_booking_posted_while_a_send_is_in_flight_stay_pending_when_that_send_succeeds()
    {
        var outbox = new TenantOutbox();
        outbox.Post(Row(JobState.Running, 3));
        var answer = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var first = outbox.SendAsync((_, _) => answer.Task);

        outbox.Post(Row(JobState.Succeeded, 4));
        outbox.Post(Run);
        answer.SetResult();
        Assert.Null(await first);

        Assert.True(outbox.Pending);
        (JobSummary Row, IReadOnlyList<TenantBooking> Bookings)? carried = null;
        await outbox.SendAsync((row, bookings) => { carried = (row, bookings); return Task.CompletedTask; });
        Assert.Equal(JobState.Succeeded, carried!.Value.Row.State);
        Assert.Equal([Run], carried.Value.Bookings);
        Assert.False(outbox.Pending);
    }

    [Fact]
    public void An_older_row_never_replaces_a_newer_one_and_a_booking_posted_twice_is_carried_once()
    {
        var outbox = new TenantOutbox();
        outbox.Post(Row(JobState.Succeeded, 4));
        outbox.Post(Row(JobState.Running, 3));
        outbox.Post(Run);
        outbox.Post(Run);

        IReadOnlyList<TenantBooking>? carried = null;
        JobSummary? row = null;
        _ = outbox.SendAsync((r, bookings) => { row = r; carried = bookings; return Task.CompletedTask; });

        Assert.Equal(4, row!.Version);
        Assert.Equal([Run], carried);
    }
}
