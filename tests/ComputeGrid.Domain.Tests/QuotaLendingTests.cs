using System.Collections.Immutable;
using ComputeGrid.Domain.Loans;
using ComputeGrid.Domain.Resources;

namespace ComputeGrid.Domain.Tests;

/// <summary>
/// Kueue's documented lending examples translated to hubs: a hub's nominal quota is its own capacity, its lendingLimit
/// the most it lends out at once, and nominal minus lendingLimit is protected for its own work.
/// </summary>
public class QuotaLendingTests
{
    /// <summary>The lender's nominal quota: 100 cores, 400,000 MiB, 8 910B and 4 A800.</summary>
    private static readonly ResourceVector Nominal = ResourceVector.Of(100_000, 400_000, [new("910B", 8), new("A800", 4)]);

    /// <summary>Lends at most 40 cores, 160,000 MiB and 4 910B; no A800 may leave the hub.</summary>
    private static readonly HubQuota Limited = new(Limit(40_000, 160_000, ("910B", 4), ("A800", 0)), null, ReclaimPolicy.LowerPriority);

    private static readonly HubQuota Unlimited = HubQuota.Default;

    private static readonly Dictionary<string, LendingCase> Cases = new()
    {
        ["lends what is asked when it is within the lending limit"] = new(
            Limited, Lent: ResourceVector.Zero, Spare: Nominal, Asked: ResourceVector.Of(10_000, 40_000),
            Lends: ResourceVector.Of(10_000, 40_000)),
        ["lends up to the lending limit and no further"] = new(
            Limited, ResourceVector.Zero, Nominal, Asked: ResourceVector.Of(60_000, 240_000, [new("910B", 8)]),
            Lends: ResourceVector.Of(40_000, 160_000, [new("910B", 4)])),
        ["lends only what its open loans left of the lending limit"] = new(
            Limited, Lent: ResourceVector.Of(30_000, 100_000, [new("910B", 3)]), Nominal, Asked: ResourceVector.Of(60_000, 240_000, [new("910B", 8)]),
            Lends: ResourceVector.Of(10_000, 60_000, [new("910B", 1)])),
        ["lends nothing once its open loans reach the lending limit"] = new(
            Limited, Lent: ResourceVector.Of(40_000, 160_000, [new("910B", 4)]), Nominal, Asked: ResourceVector.Of(1_000, 1_024),
            Lends: ResourceVector.Zero),
        ["a nil lending limit lends all of the nominal quota"] = new(
            Unlimited, ResourceVector.Zero, Nominal, Asked: ResourceVector.Of(500_000, 2_000_000, [new("910B", 16), new("A800", 16)]),
            Lends: Nominal),
        ["a nil lending limit lends what the nominal quota has left after its open loans"] = new(
            Unlimited, Lent: ResourceVector.Of(90_000, 100_000, [new("A800", 4)]), Spare: Nominal, Asked: Nominal,
            Lends: ResourceVector.Of(10_000, 300_000, [new("910B", 8)])),
        ["a lending limit above the nominal quota lends no more than the nominal quota"] = new(
            new HubQuota(ResourceVector.Of(1_000_000, 4_000_000, [new("910B", 64)]), null, ReclaimPolicy.Any), ResourceVector.Zero, Nominal,
            Asked: ResourceVector.Of(500_000, 2_000_000, [new("910B", 16)]),
            Lends: ResourceVector.Of(100_000, 400_000, [new("910B", 8)])),
        ["never lends more than the spare capacity it has"] = new(
            Limited, ResourceVector.Zero, Spare: ResourceVector.Of(5_000, 20_000, [new("910B", 1)]), Asked: ResourceVector.Of(20_000, 80_000, [new("910B", 2)]),
            Lends: ResourceVector.Of(5_000, 20_000, [new("910B", 1)])),
        ["negative spare capacity lends nothing"] = new(
            Unlimited, ResourceVector.Zero, Spare: ResourceVector.Of(-1_000, -1_024), Asked: ResourceVector.Of(1_000, 1_024),
            Lends: ResourceVector.Zero),
        ["a GPU model the lending limit names with 0 is not lent"] = new(
            Limited, ResourceVector.Zero, Nominal, Asked: ResourceVector.Of(4_000, 16_000, [new("A800", 2)]),
            Lends: ResourceVector.Of(4_000, 16_000)),
        ["a GPU model the lending limit does not name is lent as far as the hub has it"] = new(
            new HubQuota(ResourceVector.Of(40_000, 160_000), null, ReclaimPolicy.Any), ResourceVector.Zero, Nominal, Asked: ResourceVector.Of(4_000, 16_000, [new("A800", 6)]),
            Lends: ResourceVector.Of(4_000, 16_000, [new("A800", 4)])),
        ["a GPU model the hub does not have is not lent even with a nil lending limit"] = new(
            Unlimited, ResourceVector.Zero, Nominal, Asked: ResourceVector.Of(4_000, 16_000, [new("H800", 2)]),
            Lends: ResourceVector.Of(4_000, 16_000)),
        ["a zero lending limit lends nothing"] = new(
            new HubQuota(Limit(0, 0, ("910B", 0)), null, ReclaimPolicy.Never), ResourceVector.Zero, Nominal, Asked: ResourceVector.Of(1_000, 1_024, [new("910B", 1)]),
            Lends: ResourceVector.Zero),
    };

    public static TheoryData<string> Scenarios => [.. Cases.Keys];

    [Theory]
    [MemberData(nameof(Scenarios))]
    public void A_lender_offers_its_spare_capacity_within_its_lending_room_and_the_ask(string scenario)
    {
        var c = Cases[scenario];

        var lends = QuotaMath.Lendable(c.Quota, Nominal, c.Lent, c.Spare, c.Asked);

        Assert.Equal(c.Lends, lends);
    }

    [Theory]
    [InlineData(1_000, 1_024, 0)]
    [InlineData(40_000, 160_000, 4)]
    [InlineData(100_000, 400_000, 8)]
    [InlineData(1_000_000, 9_999_999, 99)]
    public void The_protected_quota_nominal_minus_lendingLimit_is_never_lent_whatever_is_asked_again_and_again(long cpu, long memory, int gpus)
    {
        var protectedQuota = Nominal.Minus(Limited.LendingLimit!);
        var ask = ResourceVector.Of(cpu, memory, [new("910B", gpus), new("A800", gpus)]);
        var lent = ResourceVector.Zero;

        for (var round = 0; round < 20; round++)
        {
            lent = lent.Plus(QuotaMath.Lendable(Limited, Nominal, lent, Nominal.Minus(lent), ask));
        }

        Assert.True(lent.IsWithin(Limited.LendingLimit!), $"lent {lent}");
        Assert.True(protectedQuota.IsWithin(Nominal.Minus(lent)), $"kept {Nominal.Minus(lent)}, protected {protectedQuota}");
        Assert.Equal(0, lent.GpusOf("A800"));
    }

    [Fact]
    public void The_lending_room_is_the_lending_limit_capped_at_nominal_minus_what_is_lent()
    {
        var room = QuotaMath.LendingRoom(Limited, Nominal, ResourceVector.Of(15_000, 10_000, [new("910B", 1)]));

        Assert.Equal(ResourceVector.Of(25_000, 150_000, [new("910B", 3)]), room);
    }

    [Fact]
    public void Lending_room_never_goes_negative_when_more_is_lent_than_the_limit_now_allows()
    {
        var room = QuotaMath.LendingRoom(Limited, Nominal, ResourceVector.Of(50_000, 170_000, [new("910B", 6)]));

        Assert.Equal(ResourceVector.Zero, room);
    }

    [Fact]
    public void A_hub_without_a_quota_entry_has_no_limits_and_recalls_from_lower_priorities()
    {
        Assert.Null(HubQuota.Default.LendingLimit);
        Assert.Null(HubQuota.Default.BorrowingLimit);
        Assert.Equal(ReclaimPolicy.LowerPriority, HubQuota.Default.Reclaim);
    }

    [Theory]
    [InlineData(0, 1_024, true)]
    [InlineData(1_000, 0, true)]
    [InlineData(1, 1, false)]
    public void A_vector_is_useless_for_lending_when_it_lacks_CPU_or_memory_whatever_GPUs_it_holds(long cpu, long memory, bool useless)
    {
        Assert.Equal(useless, QuotaMath.IsUseless(ResourceVector.Of(cpu, memory, [new("910B", 8)])));
    }

    private static ResourceVector Limit(long cpu, long memory, params (string Model, int Count)[] gpus) =>
        new(cpu, memory, gpus.ToImmutableSortedDictionary(g => g.Model, g => g.Count, StringComparer.Ordinal));

    private sealed record LendingCase(HubQuota Quota, ResourceVector Lent, ResourceVector Spare, ResourceVector Asked, ResourceVector Lends);
}
