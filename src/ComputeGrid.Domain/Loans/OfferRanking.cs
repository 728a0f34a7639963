using ComputeGrid.Domain.Jobs;
using ComputeGrid.Domain.Resources;

namespace ComputeGrid.Domain.Loans;

/// <summary>The borrower's choice among the offers it collected.</summary>
/// <param name="Accept">Offers to accept, best first.</param>
/// <param name="Decline">Offers to decline, each with the reason.</param>
public sealed record OfferChoice(IReadOnlyList<LoanTerms> Accept, IReadOnlyList<(LoanTerms Offer, string Reason)> Decline);

/// <summary>How a borrower picks offers: by its policy, within its price ceiling and borrowing room, until its need is covered.</summary>
public static class OfferRanking
{
    /// <summary>
    /// Ranks <paramref name="offers"/> by <paramref name="policy"/> (Greenest: lowest kgCO2/kWh; Cheapest: lowest price;
    /// Fastest: lowest latency; Balanced: the sum of the three, each relative to the best offer), declines those above
    /// <paramref name="ceiling"/>, and accepts the best ones until <paramref name="need"/> is covered, never beyond
    /// <paramref name="room"/> (null: no borrowing limit).
    /// </summary>
    public static OfferChoice Choose(IEnumerable<LoanTerms> offers, PlacementPolicy policy, ResourceVector need, ResourceVector? room, LoanPrice ceiling)
    {
        var all = offers.ToList();
        var decline = new List<(LoanTerms, string)>();
        var affordable = new List<LoanTerms>();
        foreach (var offer in all)
        {
            if (offer.Price.CnyPerCoreHour > ceiling.CnyPerCoreHour || offer.Price.CnyPerGpuHour > ceiling.CnyPerGpuHour)
            {
                decline.Add((offer, $"price {offer.Price.CnyPerCoreHour:G4} CNY/core-h, {offer.Price.CnyPerGpuHour:G4} CNY/GPU-h is above the ceiling"));
            }
            else
            {
                affordable.Add(offer);
            }
        }

        var ranked = Rank(affordable, policy, need).ToList();
        var accept = new List<LoanTerms>();
        var covered = ResourceVector.Zero;
        var left = room;
        foreach (var offer in ranked)
        {
            if (need.IsWithin(covered))
            {
                decline.Add((offer, "need already covered by better offers"));
            }
            else if (left is { } r && !QuotaMath.WithinLimit(offer.Amount, r))
            {
                decline.Add((offer, "would exceed the borrowing limit"));
            }
            else
            {
                accept.Add(offer);
                covered = covered.Plus(offer.Amount);
                left = left is { } l ? QuotaMath.Consume(l, offer.Amount) : null;
            }
        }

        return new OfferChoice(accept, decline);
    }

    private static IEnumerable<LoanTerms> Rank(List<LoanTerms> offers, PlacementPolicy policy, ResourceVector need)
    {
        if (offers.Count == 0)
        {
            return offers;
        }

        double Price(LoanTerms o) => o.Price.ChargeFor(need.CpuMillicores / 1000.0, need.TotalGpus);
        Func<LoanTerms, double> score = policy.Ranking() switch
        {
            PlacementPolicy.Greenest => o => o.KgCo2PerItKwh,
            PlacementPolicy.Cheapest => Price,
            PlacementPolicy.Fastest => o => o.LatencyMs,
            _ => Balanced(offers, Price),
        };
        return offers.OrderBy(score).ThenBy(o => o.LatencyMs).ThenBy(o => o.LoanId, StringComparer.Ordinal);
    }

    private static Func<LoanTerms, double> Balanced(List<LoanTerms> offers, Func<LoanTerms, double> price)
    {
        var carbon = Math.Max(1e-9, offers.Min(o => o.KgCo2PerItKwh));
        var cost = Math.Max(1e-9, offers.Min(price));
        var latency = Math.Max(1e-9, offers.Min(o => o.LatencyMs));
        return o => (o.KgCo2PerItKwh / carbon) + (price(o) / cost) + (o.LatencyMs / latency);
    }
}
