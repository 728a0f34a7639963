using ComputeGrid.Domain.Loans;
using ComputeGrid.Domain.Resources;

namespace ComputeGrid.Domain.Tests;

/// <summary>Kueue's documented borrowing examples translated to hubs: a hub borrows at most its borrowingLimit, summed over its open loans.</summary>
public class QuotaBorrowingTests
{
    /// <summary>Borrows at most 20 cores, 80,000 MiB and 2 910B; no other GPU model.</summary>
    private static readonly HubQuota Limited = new(null, ResourceVector.Of(20_000, 80_000, [new("910B", 2)]), ReclaimPolicy.LowerPriority);

    private static readonly Dictionary<string, BorrowingCase> Cases = new()
    {
        ["a nil borrowing limit leaves the room open"] = new(HubQuota.Default, ResourceVector.Of(500_000, 2_000_000), Room: null),
        ["the room is the whole borrowing limit before any loan"] = new(Limited, ResourceVector.Zero, ResourceVector.Of(20_000, 80_000, [new("910B", 2)])),
        ["the room is the borrowing limit minus what open loans hold"] = new(
            Limited, ResourceVector.Of(5_000, 30_000, [new("910B", 1)]), ResourceVector.Of(15_000, 50_000, [new("910B", 1)])),
        ["the room is empty once open loans reach the borrowing limit"] = new(Limited, ResourceVector.Of(20_000, 80_000, [new("910B", 2)]), ResourceVector.Zero),
        ["the room never goes negative when more is borrowed than the limit now allows"] = new(
            Limited, ResourceVector.Of(30_000, 90_000, [new("910B", 3)]), ResourceVector.Zero),
        ["a GPU model the borrowing limit does not name stays unlimited and takes no room"] = new(
            Limited, ResourceVector.Of(0, 0, [new("A800", 1)]), ResourceVector.Of(20_000, 80_000, [new("910B", 2)])),
    };

    public static TheoryData<string> Scenarios => [.. Cases.Keys];

    [Theory]
    [MemberData(nameof(Scenarios))]
    public void A_borrower_may_borrow_up_to_its_borrowing_limit_summed_over_its_open_loans(string scenario)
    {
        var c = Cases[scenario];

        Assert.Equal(c.Room, QuotaMath.BorrowingRoom(c.Quota, c.Borrowed));
    }

    [Theory]
    [InlineData(10_000, 40_000, 1, 10_000, 40_000, 1)]
    [InlineData(50_000, 40_000, 4, 20_000, 40_000, 2)]
    public void An_ask_is_capped_dimension_by_dimension_by_the_borrowing_room(long cpu, long memory, int gpus, long capCpu, long capMemory, int capGpus)
    {
        var room = QuotaMath.BorrowingRoom(Limited, ResourceVector.Zero);

        var capped = QuotaMath.Cap(ResourceVector.Of(cpu, memory, [new("910B", gpus)]), room);

        Assert.Equal(ResourceVector.Of(capCpu, capMemory, [new("910B", capGpus)]), capped);
    }

    [Fact]
    public void An_ask_is_not_capped_without_a_borrowing_limit()
    {
        var ask = ResourceVector.Of(900_000, 9_000_000, [new("H800", 64)]);

        Assert.Equal(ask, QuotaMath.Cap(ask, null));
    }

    [Fact]
    public void A_GPU_model_the_borrowing_limit_does_not_name_is_asked_for_in_full()
    {
        var room = QuotaMath.BorrowingRoom(Limited, ResourceVector.Zero);

        var capped = QuotaMath.Cap(ResourceVector.Of(4_000, 16_000, [new("A800", 2), new("910B", 5)]), room);

        Assert.Equal(ResourceVector.Of(4_000, 16_000, [new("A800", 2), new("910B", 2)]), capped);
    }

    [Fact]
    public void A_GPU_model_named_with_zero_in_the_borrowing_limit_is_never_asked_for()
    {
        var quota = new HubQuota(null, new ResourceVector(20_000, 80_000, System.Collections.Immutable.ImmutableSortedDictionary.CreateRange(StringComparer.Ordinal, [KeyValuePair.Create("A800", 0)])), ReclaimPolicy.Never);
        var room = QuotaMath.BorrowingRoom(quota, ResourceVector.Zero)!;

        Assert.False(QuotaMath.WithinLimit(ResourceVector.Of(1_000, 1_024, [new("A800", 1)]), room));
        Assert.True(QuotaMath.WithinLimit(ResourceVector.Of(1_000, 1_024, [new("910B", 1)]), room));
    }

    [Fact]
    public void A_GPU_model_used_up_under_the_borrowing_limit_stays_limited()
    {
        var room = QuotaMath.BorrowingRoom(Limited, ResourceVector.Of(0, 0, [new("910B", 2)]))!;

        Assert.False(QuotaMath.WithinLimit(ResourceVector.Of(1_000, 1_024, [new("910B", 1)]), room));
    }

    [Fact]
    public void The_sum_of_requests_counts_each_GPU_model_apart()
    {
        var sum = QuotaMath.Sum([new ResourceRequest(1_000, 1_024, 1, "910B"), new ResourceRequest(2_000, 2_048, 2, "A800"), new ResourceRequest(500, 512)]);

        Assert.Equal(ResourceVector.Of(3_500, 3_584, [new("910B", 1), new("A800", 2)]), sum);
    }

    private sealed record BorrowingCase(HubQuota Quota, ResourceVector Borrowed, ResourceVector? Room);
}
