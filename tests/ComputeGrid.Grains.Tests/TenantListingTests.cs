using ComputeGrid.Grains.Jobs;

namespace ComputeGrid.Grains.Tests;

/// <summary>
/// A submission waits for its tenant's listing at most the listing wait (<see cref="JobPublisher.ListOrFollowAsync"/>):
/// a slow tenant (reactivating after a silo's death) must not hold the acknowledgement for a whole response timeout.
/// </summary>
public sealed class TenantListingTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromMilliseconds(200);

    [Fact]
    public async Task A_listing_that_answers_in_time_is_not_followed_by_a_one_way_row()
    {
        var followed = 0;

        var failure = await JobPublisher.ListOrFollowAsync(() => Task.CompletedTask, () => { followed++; return Task.CompletedTask; }, Wait);

        Assert.Null(failure);
        Assert.Equal(0, followed);
    }

    [Fact]
    public async Task A_listing_that_outlasts_the_wait_is_left_running_and_the_row_follows_one_way_at_once()
    {
        var listing = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var followed = 0;

        var failure = await JobPublisher.ListOrFollowAsync(() => listing.Task, () => { followed++; return Task.CompletedTask; }, Wait);

        Assert.IsType<TimeoutException>(failure);
        Assert.Equal(1, followed);
        Assert.False(listing.Task.IsCompleted);

        // It may still fail late, after the caller went on; the caller has already been answered.
        listing.SetException(new TimeoutException("the tenant answered after the response timeout"));
        await Assert.ThrowsAsync<TimeoutException>(() => listing.Task);
    }

    [Fact]
    public async Task A_listing_that_fails_within_the_wait_is_followed_by_a_one_way_row()
    {
        var followed = 0;

        var failure = await JobPublisher.ListOrFollowAsync(() => Task.FromException(new TimeoutException("no answer")), () => { followed++; return Task.CompletedTask; }, Wait);

        Assert.IsType<TimeoutException>(failure);
        Assert.Equal(1, followed);
    }

    [Fact]
    public async Task A_listing_that_fails_with_something_else_than_a_timeout_or_an_Orleans_fault_is_not_hidden()
    {
        await Assert.ThrowsAsync<InvalidOperationException>(() => JobPublisher.ListOrFollowAsync(() => Task.FromException(new InvalidOperationException("bug")), () => Task.CompletedTask, Wait));
    }
}
