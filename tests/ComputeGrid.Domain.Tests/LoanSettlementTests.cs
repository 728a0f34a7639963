using ComputeGrid.Domain.Accounting;
using ComputeGrid.Domain.Loans;
using ComputeGrid.Domain.Resources;
using ComputeGrid.Domain.Topology;

namespace ComputeGrid.Domain.Tests;

/// <summary>What a loan's use settles to: core-hours, GPU-hours, footprint, the footprint at home, the charge and what borrowing saved.</summary>
public class LoanSettlementTests
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>Guian's price at margin 0.2 with an H800 in the slice: 0.008748 CNY per core-hour, 0.4536 CNY per GPU-hour.</summary>
    private static readonly LoanPrice Guian = new(0.008748, 0.4536);

    private static NationalTopology Topology => Shipped.Topology;

    [Fact]
    public void A_job_of_4_cores_for_1_hour_uses_4_core_hours_and_is_charged_at_the_core_price()
    {
        var usage = LoanUsage.Of(new ResourceRequest(4_000, 8_192), TimeSpan.FromHours(1), default, default, Guian);

        Assert.Equal(1, usage.Jobs);
        Assert.Equal(4, usage.CoreHours, 12);
        Assert.Equal(0, usage.GpuHours, 12);
        Assert.Equal(0.034992, usage.ChargeCny, 12);
    }

    [Fact]
    public void A_GPU_job_is_charged_core_hours_and_GPU_hours()
    {
        var usage = LoanUsage.Of(new ResourceRequest(8_000, 32_768, 2, "H800"), TimeSpan.FromMinutes(90), default, default, Guian);

        Assert.Equal(12, usage.CoreHours, 12);
        Assert.Equal(3, usage.GpuHours, 12);
        Assert.Equal((12 * 0.008748) + (3 * 0.4536), usage.ChargeCny, 12);
    }

    [Fact]
    public void A_negative_run_time_counts_as_no_use_but_still_one_job()
    {
        var usage = LoanUsage.Of(new ResourceRequest(4_000, 8_192, 1, "910B"), TimeSpan.FromMinutes(-5), default, default, Guian);

        Assert.Equal(1, usage.Jobs);
        Assert.Equal(0, usage.CoreHours);
        Assert.Equal(0, usage.GpuHours);
        Assert.Equal(0, usage.ChargeCny);
    }

    [Fact]
    public void Usages_add_up_field_by_field()
    {
        var a = new LoanUsage(1, 4, 0, new Footprint(0.06, 0.004, 0.03), new Footprint(0.07, 0.03, 0.05), 0.035);
        var b = new LoanUsage(2, 12, 3, new Footprint(1, 0.1, 0.5), new Footprint(1.1, 0.8, 0.8), 1.4658);

        var sum = a + b;

        Assert.Equal(3, sum.Jobs);
        Assert.Equal(16, sum.CoreHours, 12);
        Assert.Equal(3, sum.GpuHours, 12);
        Assert.Equal(1.06, sum.Footprint.EnergyKwh, 12);
        Assert.Equal(0.104, sum.Footprint.CarbonKg, 12);
        Assert.Equal(0.53, sum.Footprint.CostCny, 12);
        Assert.Equal(1.17, sum.AtHome.EnergyKwh, 12);
        Assert.Equal(0.83, sum.AtHome.CarbonKg, 12);
        Assert.Equal(0.85, sum.AtHome.CostCny, 12);
        Assert.Equal(1.5008, sum.ChargeCny, 12);
    }

    [Theory]
    [InlineData(0.0612, 0.0046, 0.0275, 0.0638, 0.0322, 0.0465, 0.0026, 0.0276, 0.0190)]
    [InlineData(0.5, 0.2, 0.3, 0.4, 0.1, 0.2, -0.1, -0.1, -0.1)]
    public void Saved_is_the_footprint_at_home_minus_the_footprint_at_the_lender_and_negative_when_borrowing_cost_more(
        double kwh, double kg, double cny, double homeKwh, double homeKg, double homeCny, double savedKwh, double savedKg, double savedCny)
    {
        var usage = new LoanUsage(1, 4, 0, new Footprint(kwh, kg, cny), new Footprint(homeKwh, homeKg, homeCny), 0.035);

        Assert.Equal(savedKwh, usage.Saved.EnergyKwh, 12);
        Assert.Equal(savedKg, usage.Saved.CarbonKg, 12);
        Assert.Equal(savedCny, usage.Saved.CostCny, 12);
    }

    [Fact]
    public void An_empty_usage_is_all_zero()
    {
        var usage = default(LoanUsage);

        Assert.Equal(0, usage.Jobs);
        Assert.Equal(Footprint.Zero, usage.Saved);
    }

    [Fact]
    public void The_amount_of_a_loan_is_the_sum_of_its_slices()
    {
        var terms = Terms(
            new LoanSlice("dc-a", ResourceVector.Of(4_000, 16_384, [new("910B", 2)]), 0.1, 10),
            new LoanSlice("dc-b", ResourceVector.Of(12_000, 8_192, [new("910B", 1), new("A800", 4)]), 0.3, 30));

        Assert.Equal(ResourceVector.Of(16_000, 24_576, [new("910B", 3), new("A800", 4)]), terms.Amount);
    }

    [Fact]
    public void The_carbon_and_latency_of_a_loan_are_its_slices_weighted_by_CPU()
    {
        var terms = Terms(
            new LoanSlice("dc-a", ResourceVector.Of(4_000, 16_384), 0.1, 10),
            new LoanSlice("dc-b", ResourceVector.Of(12_000, 8_192), 0.3, 30));

        Assert.Equal(0.25, terms.KgCo2PerItKwh, 12);
        Assert.Equal(25, terms.LatencyMs, 12);
    }

    [Fact]
    public void Slices_without_CPU_weigh_equally()
    {
        var terms = Terms(
            new LoanSlice("dc-a", ResourceVector.Of(0, 16_384), 0.1, 10),
            new LoanSlice("dc-b", ResourceVector.Of(0, 8_192), 0.3, 30));

        Assert.Equal(0.2, terms.KgCo2PerItKwh, 12);
        Assert.Equal(20, terms.LatencyMs, 12);
    }

    [Fact]
    public void The_worked_example_of_docs_loans_md_a_4_core_8_GiB_hour_from_yangtze_on_guian_settles_to_its_numbers()
    {
        var job = new ResourceRequest(4_000, 8_192);
        var hour = TimeSpan.FromHours(1);
        var guian = Topology.DataCenters["guian"];
        var price = LoanPricing.PriceOf(guian, Topology.Power, [], 0.2);
        var atLender = FootprintCalculator.Of(job, hour, guian.Energy, Topology.Power);
        var atHome = FootprintCalculator.Of(job, hour, CapacityWeightedEnergyOf("yangtze"), Topology.Power);

        var usage = LoanUsage.Of(job, hour, atLender, atHome, price);

        Assert.Equal(0.008748, price.CnyPerCoreHour, 9);
        Assert.Equal(0.2592, price.CnyPerGpuHour, 9);
        Assert.Equal(0.089802, guian.Energy.EffectiveKgCo2PerItKwh, 9);
        Assert.Equal(12.08, Topology.LatencyMs("yangtze", guian), 2);
        Assert.Equal(0.034992, usage.ChargeCny, 9);
        Assert.Equal(0.0612, usage.Footprint.EnergyKwh, 9);
        Assert.Equal(0.004579902, usage.Footprint.CarbonKg, 9);
        Assert.Equal(0.02754, usage.Footprint.CostCny, 9);
        Assert.Equal(0.06375, usage.AtHome.EnergyKwh, 9);
        Assert.Equal(0.03220905, usage.AtHome.CarbonKg, 9);
        Assert.Equal(0.0465375, usage.AtHome.CostCny, 9);
        Assert.Equal(0.00255, usage.Saved.EnergyKwh, 9);
        Assert.Equal(0.027629148, usage.Saved.CarbonKg, 9);
        Assert.Equal(0.0189975, usage.Saved.CostCny, 9);
    }

    /// <summary>The borrower's home profile as the loan computes it: its data centers' energy profiles weighted by CPU capacity.</summary>
    private static EnergyProfile CapacityWeightedEnergyOf(string hub)
    {
        var home = Topology.DataCentersOf(hub).ToList();
        var cpu = home.Sum(d => (double)d.Capacity.CpuMillicores);
        double Weighted(Func<EnergyProfile, double> value) => home.Sum(d => value(d.Energy) * d.Capacity.CpuMillicores) / cpu;
        return new EnergyProfile(Weighted(e => e.Pue), Weighted(e => e.GridKgCo2PerKwh), Weighted(e => e.GreenShare), Weighted(e => e.PriceCnyPerKwh));
    }

    private static LoanTerms Terms(params LoanSlice[] slices) =>
        new("loan-1", "req-1", "guizhou", "yangtze", slices, Guian, TimeSpan.FromHours(1.5), TimeSpan.FromMinutes(10), ExpiryTerms.FinishRunning, T0.AddMinutes(1));
}
