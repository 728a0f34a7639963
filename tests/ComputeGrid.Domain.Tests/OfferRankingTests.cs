using ComputeGrid.Domain.Jobs;
using ComputeGrid.Domain.Loans;
using ComputeGrid.Domain.Resources;

namespace ComputeGrid.Domain.Tests;

/// <summary>How a borrower chooses among the offers it collected: its policy, its price ceiling, its need and its borrowing room.</summary>
public class OfferRankingTests
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private static readonly LoanPrice NoCeiling = new(double.MaxValue, double.MaxValue);

    private static readonly ResourceVector TenCores = Cores(10);

    /// <summary>Greenest: 0.09 kgCO2/kWh, 0.010 CNY/core-h, 30 ms.</summary>
    private static readonly LoanTerms Green = Offer("green", 10, kg: 0.09, ms: 30, cnyPerCoreHour: 0.010);

    /// <summary>Cheapest: 0.30 kgCO2/kWh, 0.005 CNY/core-h, 20 ms.</summary>
    private static readonly LoanTerms Cheap = Offer("cheap", 10, kg: 0.30, ms: 20, cnyPerCoreHour: 0.005);

    /// <summary>Fastest: 0.50 kgCO2/kWh, 0.020 CNY/core-h, 5 ms.</summary>
    private static readonly LoanTerms Fast = Offer("fast", 10, kg: 0.50, ms: 5, cnyPerCoreHour: 0.020);

    private static readonly LoanTerms[] Three = [Green, Cheap, Fast];

    private static readonly Dictionary<string, RankingCase> Cases = new()
    {
        ["Greenest takes the offer with the lowest carbon"] = new(PlacementPolicy.Greenest, TenCores, null, NoCeiling, Three, ["green"]),
        ["Cheapest takes the offer with the lowest price for the need"] = new(PlacementPolicy.Cheapest, TenCores, null, NoCeiling, Three, ["cheap"]),
        ["Fastest takes the offer with the lowest latency"] = new(PlacementPolicy.Fastest, TenCores, null, NoCeiling, Three, ["fast"]),
        ["Balanced takes the lowest sum of carbon, price and latency each relative to the best offer"] = new(
            PlacementPolicy.Balanced, TenCores, null, NoCeiling, Three, ["cheap"]),
        ["offers are taken best first until the need is covered"] = new(
            PlacementPolicy.Greenest, Cores(25), null, NoCeiling, Three, ["green", "cheap", "fast"]),
        ["an offer above the price ceiling per core-hour is declined even when it is the best"] = new(
            PlacementPolicy.Greenest, TenCores, null, new LoanPrice(0.009, 20), Three, ["cheap"]),
        ["an offer above the price ceiling per GPU-hour is declined"] = new(
            PlacementPolicy.Greenest, TenCores, null, new LoanPrice(1, 0.5),
            [Offer("dear-gpus", 10, 0.05, 30, 0.01, cnyPerGpuHour: 0.6), Cheap], ["cheap"]),
        ["a price equal to the ceiling is affordable"] = new(
            PlacementPolicy.Greenest, TenCores, null, new LoanPrice(0.010, 20), Three, ["green"]),
        ["nothing is taken when every offer is above the ceiling"] = new(
            PlacementPolicy.Greenest, TenCores, null, new LoanPrice(0.001, 20), Three, []),
        ["an offer that would pass the borrowing limit is declined and a smaller one taken"] = new(
            PlacementPolicy.Greenest, Cores(20), Cores(12), NoCeiling, [Offer("big-green", 20, 0.05, 30, 0.01), Cheap], ["cheap"]),
        ["the borrowing room shrinks with every offer taken"] = new(
            PlacementPolicy.Greenest, Cores(20), Cores(15), NoCeiling, [Green, Cheap], ["green"]),
        ["an offer of a GPU model the borrowing room does not name is not limited by it"] = new(
            PlacementPolicy.Greenest, TenCores, Cores(20), NoCeiling, [Offer("gpus", 10, 0.01, 30, 0.01, gpus: 1), Cheap], ["gpus"]),
        ["of two equally green offers the nearer wins"] = new(
            PlacementPolicy.Greenest, TenCores, null, NoCeiling, [Offer("far", 10, 0.1, 40, 0.01), Offer("near", 10, 0.1, 10, 0.01)], ["near"]),
        ["of two equal offers the lower loan id wins"] = new(
            PlacementPolicy.Greenest, TenCores, null, NoCeiling, [Offer("loan-b", 10, 0.1, 10, 0.01), Offer("loan-a", 10, 0.1, 10, 0.01)], ["loan-a"]),
        ["no offers take nothing"] = new(PlacementPolicy.Greenest, TenCores, null, NoCeiling, [], []),
    };

    public static TheoryData<string> Scenarios => [.. Cases.Keys];

    [Theory]
    [MemberData(nameof(Scenarios))]
    public void A_borrower_accepts_the_best_affordable_offers_until_its_need_is_covered_within_its_room(string scenario)
    {
        var c = Cases[scenario];

        var choice = OfferRanking.Choose(c.Offers, c.Policy, c.Need, c.Room, c.Ceiling);

        Assert.Equal(c.Accept, choice.Accept.Select(o => o.LoanId));
        Assert.Equal(
            c.Offers.Select(o => o.LoanId).Except(c.Accept).Order(StringComparer.Ordinal),
            choice.Decline.Select(d => d.Offer.LoanId).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Every_declined_offer_carries_its_reason()
    {
        var dear = Offer("dear", 10, 0.01, 30, 5);
        var big = Offer("big", 30, 0.02, 30, 0.01);
        var late = Offer("late", 10, 0.9, 30, 0.01);

        var choice = OfferRanking.Choose([dear, big, Green, late], PlacementPolicy.Greenest, TenCores, Cores(20), new LoanPrice(1, 20));

        var reasons = choice.Decline.ToDictionary(d => d.Offer.LoanId, d => d.Reason);
        Assert.Contains("above the ceiling", reasons["dear"], StringComparison.Ordinal);
        Assert.Equal("would exceed the borrowing limit", reasons["big"]);
        Assert.Equal("need already covered by better offers", reasons["late"]);
        Assert.Equal(["green"], choice.Accept.Select(o => o.LoanId));
    }

    [Fact]
    public void Accepted_offers_never_sum_beyond_the_borrowing_room()
    {
        var offers = Enumerable.Range(0, 8).Select(i => Offer($"loan-{i}", 3 + i, 0.1 + (i / 100.0), 20, 0.01)).ToList();

        var choice = OfferRanking.Choose(offers, PlacementPolicy.Greenest, Cores(100), Cores(20), NoCeiling);

        var taken = choice.Accept.Aggregate(ResourceVector.Zero, (sum, o) => sum.Plus(o.Amount));
        Assert.True(taken.IsWithin(Cores(20)), taken.ToString());
        Assert.Equal(offers.Count, choice.Accept.Count + choice.Decline.Count);
    }

    private static ResourceVector Cores(int cores) => ResourceVector.Of(cores * 1_000L, cores * 4_096L);

    private static LoanTerms Offer(string id, int cores, double kg, double ms, double cnyPerCoreHour, double cnyPerGpuHour = 0.3, int gpus = 0) => new(
        id,
        "req-1",
        "lender",
        "borrower",
        [new LoanSlice($"{id}-dc", ResourceVector.Of(cores * 1_000L, cores * 4_096L, [new("910B", gpus)]), kg, ms)],
        new LoanPrice(cnyPerCoreHour, cnyPerGpuHour),
        TimeSpan.FromHours(3),
        TimeSpan.FromMinutes(10),
        ExpiryTerms.FinishRunning,
        T0.AddMinutes(1));

    private sealed record RankingCase(PlacementPolicy Policy, ResourceVector Need, ResourceVector? Room, LoanPrice Ceiling, LoanTerms[] Offers, string[] Accept);
}
