using ComputeGrid.Domain.Loans;
using ComputeGrid.Domain.Topology;

namespace ComputeGrid.Domain.Tests;

/// <summary>
/// A lender's price is its energy cost plus a margin. At guian (PUE 1.2, 0.45 CNY/kWh) with margin 0.2 a kWh of IT
/// energy costs 1.2 x 0.45 x 1.2 = 0.648 CNY; a core-hour draws 12 W + 4 GiB x 0.375 W = 13.5 W.
/// </summary>
public class LoanPricingTests
{
    private static NationalTopology Topology => Shipped.Topology;

    [Theory]
    [InlineData("guian", 0.2, 0.008748)]
    [InlineData("guian", 0.0, 0.00729)]
    [InlineData("yrd-demo-zone", 0.2, 0.015795)]
    [InlineData("zhongwei", 0.2, 0.006998)]
    public void A_core_hour_costs_the_power_of_a_core_and_4_GiB_times_PUE_times_the_energy_price_plus_the_margin(string dataCenter, double margin, double cnyPerCoreHour)
    {
        var price = LoanPricing.PriceOf(Topology.DataCenters[dataCenter], Topology.Power, [], margin);

        Assert.Equal(cnyPerCoreHour, price.CnyPerCoreHour, 6);
    }

    [Theory]
    [InlineData(new string[0], 0.2592)]
    [InlineData(new[] { "910B" }, 0.20088)]
    [InlineData(new[] { "910B", "H800" }, 0.4536)]
    [InlineData(new[] { "unknown-model" }, 0.2592)]
    public void A_GPU_hour_at_guian_costs_the_board_power_of_the_most_power_hungry_model_lent(string[] models, double cnyPerGpuHour)
    {
        var price = LoanPricing.PriceOf(Topology.DataCenters["guian"], Topology.Power, models, 0.2);

        Assert.Equal(cnyPerGpuHour, price.CnyPerGpuHour, 6);
    }

    [Fact]
    public void Prices_are_rounded_to_six_decimals()
    {
        var price = LoanPricing.PriceOf(Topology.DataCenters["zhongwei"], Topology.Power, [], 0.2);

        Assert.Equal(0.006998, price.CnyPerCoreHour);
    }

    [Fact]
    public void An_offer_over_several_data_centers_charges_the_dearest_price_in_each_dimension()
    {
        var max = LoanPricing.Max(new LoanPrice(0.01, 0.5), new LoanPrice(0.02, 0.2));

        Assert.Equal(new LoanPrice(0.02, 0.5), max);
    }

    [Theory]
    [InlineData(4, 0, 0.034992)]
    [InlineData(0, 2, 0.9072)]
    [InlineData(4, 2, 0.942192)]
    [InlineData(0, 0, 0)]
    public void The_charge_is_core_hours_times_the_core_price_plus_GPU_hours_times_the_GPU_price(double coreHours, double gpuHours, double charge)
    {
        var guian = LoanPricing.PriceOf(Topology.DataCenters["guian"], Topology.Power, ["H800"], 0.2);

        Assert.Equal(charge, guian.ChargeFor(coreHours, gpuHours), 9);
    }
}
