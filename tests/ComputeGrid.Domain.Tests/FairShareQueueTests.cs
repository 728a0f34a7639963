using ComputeGrid.Domain.Placement;
using ComputeGrid.Domain.Resources;

namespace ComputeGrid.Domain.Tests;

public class FairShareQueueTests
{
    private static readonly ResourceVector Pool = ResourceVector.Of(100_000, 409_600, [new("910B", 10)]);
    private static readonly ResourceRequest Small = new(1_000, 4_096);
    private static readonly Dictionary<string, ResourceVector> NoUse = new(StringComparer.Ordinal);

    [Fact]
    public void Higher_priority_jobs_come_first_whatever_their_arrival_or_tenant()
    {
        QueuedJob[] jobs =
        [
            new("low", "a", 10, 1, Small),
            new("high", "b", 900, 3, Small),
            new("mid", "a", 500, 2, Small),
        ];

        var order = FairShareQueue.Order(jobs, NoUse, Pool).Select(j => j.JobId);

        Assert.Equal(["high", "mid", "low"], order);
    }

    [Fact]
    public void A_higher_priority_job_goes_first_even_when_its_tenant_already_uses_much_more()
    {
        QueuedJob[] jobs = [new("light-low", "light", 1, 1, Small), new("heavy-high", "heavy", 2, 2, Small)];
        var use = new Dictionary<string, ResourceVector>(StringComparer.Ordinal) { ["heavy"] = ResourceVector.Of(90_000, 0) };

        var order = FairShareQueue.Order(jobs, use, Pool).Select(j => j.JobId);

        Assert.Equal(["heavy-high", "light-low"], order);
    }

    [Theory]
    [InlineData(50_000, 10_000, "b1")] // a uses 50% CPU, b 10%
    [InlineData(10_000, 50_000, "a1")] // a uses 10% CPU, b 50%
    [InlineData(0, 204_800, "a1")] // b uses 50% of memory
    public void Within_one_priority_the_tenant_with_less_current_use_goes_first(long aCpu, long bMemoryOrCpu, string first)
    {
        QueuedJob[] jobs = [new("a1", "a", 100, 1, Small), new("b1", "b", 100, 2, Small)];
        var use = new Dictionary<string, ResourceVector>(StringComparer.Ordinal)
        {
            ["a"] = ResourceVector.Of(aCpu, 0),
            ["b"] = bMemoryOrCpu > 100_000 ? ResourceVector.Of(0, bMemoryOrCpu) : ResourceVector.Of(bMemoryOrCpu, 0),
        };

        var order = FairShareQueue.Order(jobs, use, Pool).Select(j => j.JobId).ToList();

        Assert.Equal(first, order[0]);
    }

    [Fact]
    public void A_tenant_that_uses_GPUs_counts_them_in_its_dominant_share()
    {
        // a: 5 of 10 GPUs = 50%; b: 20% CPU. b goes first although a's job arrived first.
        QueuedJob[] jobs = [new("a1", "a", 100, 1, Small), new("b1", "b", 100, 2, Small)];
        var use = new Dictionary<string, ResourceVector>(StringComparer.Ordinal)
        {
            ["a"] = ResourceVector.Of(1_000, 0, [new("910B", 5)]),
            ["b"] = ResourceVector.Of(20_000, 0),
        };

        Assert.Equal(["b1", "a1"], FairShareQueue.Order(jobs, use, Pool).Select(j => j.JobId));
    }

    [Fact]
    public void A_tenants_own_jobs_go_first_come_first_served()
    {
        QueuedJob[] jobs =
        [
            new("third", "a", 100, 30, Small),
            new("first", "a", 100, 10, Small),
            new("second", "a", 100, 20, Small),
        ];

        var order = FairShareQueue.Order(jobs, NoUse, Pool).Select(j => j.JobId);

        Assert.Equal(["first", "second", "third"], order);
    }

    [Fact]
    public void Tenants_with_equal_use_interleave_within_one_pass()
    {
        QueuedJob[] jobs =
        [
            new("a1", "a", 100, 1, Small),
            new("a2", "a", 100, 2, Small),
            new("a3", "a", 100, 3, Small),
            new("b1", "b", 100, 4, Small),
            new("b2", "b", 100, 5, Small),
            new("b3", "b", 100, 6, Small),
        ];

        var order = FairShareQueue.Order(jobs, NoUse, Pool).Select(j => j.JobId);

        Assert.Equal(["a1", "b1", "a2", "b2", "a3", "b3"], order);
    }

    [Fact]
    public void A_tenant_given_a_large_job_waits_while_others_catch_up()
    {
        // a's first job takes 30% of the pool; b's small jobs (1% each) go until b has caught up.
        var large = new ResourceRequest(30_000, 4_096);
        QueuedJob[] jobs =
        [
            new("a-large", "a", 100, 1, large),
            new("a-next", "a", 100, 2, Small),
            new("b1", "b", 100, 3, Small),
            new("b2", "b", 100, 4, Small),
        ];

        var order = FairShareQueue.Order(jobs, NoUse, Pool).Select(j => j.JobId);

        Assert.Equal(["a-large", "b1", "b2", "a-next"], order);
    }

    [Fact]
    public void Within_a_pass_a_tenant_is_charged_the_dominant_share_of_its_use_plus_the_jobs_it_was_given()
    {
        // Pool 100 cores, 100,000 MiB. a uses 40% CPU, b 45% CPU. a's jobs are memory-heavy (30% memory each).
        // After a1, a's use is (41% CPU, 30% memory): dominant share 41% < b's 45%, so a2 comes before b1.
        // After a2, a's use is (42% CPU, 60% memory): 60% > 45%, so b1 comes next.
        var pool = ResourceVector.Of(100_000, 100_000);
        var memoryHeavy = new ResourceRequest(1_000, 30_000);
        QueuedJob[] jobs =
        [
            new("a1", "a", 100, 1, memoryHeavy),
            new("a2", "a", 100, 2, memoryHeavy),
            new("b1", "b", 100, 3, new ResourceRequest(1_000, 1_000)),
        ];
        var use = new Dictionary<string, ResourceVector>(StringComparer.Ordinal)
        {
            ["a"] = ResourceVector.Of(40_000, 0),
            ["b"] = ResourceVector.Of(45_000, 0),
        };

        var order = FairShareQueue.Order(jobs, use, pool).Select(j => j.JobId);

        Assert.Equal(["a1", "a2", "b1"], order);
    }

    [Fact]
    public void Every_job_is_ordered_exactly_once()
    {
        var random = new Random(7);
        var jobs = Enumerable.Range(0, 200)
            .Select(i => new QueuedJob($"j{i}", $"t{random.Next(5)}", random.Next(3) * 100, i, new ResourceRequest(random.Next(1, 10) * 1_000L, 1_024)))
            .ToList();

        var order = FairShareQueue.Order(jobs, NoUse, Pool).ToList();

        Assert.Equal(jobs.Select(j => j.JobId).Order(StringComparer.Ordinal), order.Select(j => j.JobId).Order(StringComparer.Ordinal));
        Assert.Equal(order.Select(j => j.Priority).OrderDescending(), order.Select(j => j.Priority));
    }
}
