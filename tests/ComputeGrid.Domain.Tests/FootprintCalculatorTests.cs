using ComputeGrid.Domain.Accounting;
using ComputeGrid.Domain.Resources;
using ComputeGrid.Domain.Topology;

namespace ComputeGrid.Domain.Tests;

public class FootprintCalculatorTests
{
    // Worked example: 4 cores, 16 GiB and one 910B for 2 hours in guian (PUE 1.2, grid 0.4989, green 0.85, 0.45 CNY/kWh),
    // with 10 GiB of input data moved at 0.03 CNY/GiB.
    //   watts  = 4 x 12 + 16 x 0.375 + 1 x 310      = 364 W
    //   IT kWh = 364 x 2 / 1000                      = 0.728 kWh
    //   energy = 0.728 x 1.2                         = 0.8736 kWh
    //   carbon = 0.8736 x 0.4989 x (1 - 0.85)        = 0.43583904 x 0.15 = 0.065375856 kg
    //   cost   = 0.8736 x 0.45 + 10 x 0.03           = 0.39312 + 0.3 = 0.69312 CNY
    private static readonly ResourceRequest WorkedRequest = new(4_000, 16 * 1024, 1, "910B");

    [Fact]
    public void The_worked_example_in_guian_gives_energy_0_8736_kWh()
    {
        var footprint = WorkedExample();

        Assert.Equal(0.8736, footprint.EnergyKwh, 12);
    }

    [Fact]
    public void The_worked_example_in_guian_gives_carbon_energy_times_grid_times_one_minus_green()
    {
        var footprint = WorkedExample();

        Assert.Equal(0.8736 * 0.4989 * 0.15, footprint.CarbonKg, 12);
        Assert.Equal(0.065375856, footprint.CarbonKg, 9);
    }

    [Fact]
    public void The_worked_example_in_guian_gives_cost_energy_times_price_plus_transfer()
    {
        var footprint = WorkedExample();

        Assert.Equal(0.69312, footprint.CostCny, 12);
    }

    [Fact]
    public void The_power_model_draws_364_watts_for_the_worked_example()
    {
        Assert.Equal(364, Shipped.Topology.Power.WattsOf(WorkedRequest), 12);
    }

    [Fact]
    public void A_GPU_model_the_power_model_does_not_know_draws_the_default_watts()
    {
        var power = new PowerModel(12, 0.375, new Dictionary<string, double> { ["910B"] = 310 }, 400);

        Assert.Equal(2 * 400, power.WattsOf(new ResourceRequest(0, 0, 2, "V100")), 12);
    }

    [Theory]
    [InlineData(1, 1.2)]
    [InlineData(0.5, 0.6)]
    [InlineData(24, 28.8)]
    public void Energy_grows_linearly_with_run_time(double hours, double expectedKwh)
    {
        // 1,000 W of IT power (one GPU at 1,000 W) at PUE 1.2.
        var power = new PowerModel(0, 0, new Dictionary<string, double> { ["X"] = 1_000 }, 0);
        var energy = new EnergyProfile(1.2, 0.5, 0, 1);

        var footprint = FootprintCalculator.Of(new ResourceRequest(0, 0, 1, "X"), TimeSpan.FromHours(hours), energy, power);

        Assert.Equal(expectedKwh, footprint.EnergyKwh, 12);
        Assert.Equal(expectedKwh * 0.5, footprint.CarbonKg, 12);
        Assert.Equal(expectedKwh, footprint.CostCny, 12);
    }

    [Fact]
    public void A_fully_green_data_center_emits_nothing()
    {
        var green = new EnergyProfile(1.2, 0.6, 1.0, 0.4);

        var footprint = FootprintCalculator.Of(WorkedRequest, TimeSpan.FromHours(2), green, Shipped.Topology.Power);

        Assert.Equal(0, footprint.CarbonKg);
        Assert.True(footprint.EnergyKwh > 0);
    }

    [Fact]
    public void A_negative_duration_uses_no_energy_and_costs_only_the_transfer()
    {
        var footprint = FootprintCalculator.Of(
            WorkedRequest, TimeSpan.FromHours(-1), Shipped.Topology.DataCenters["guian"].Energy, Shipped.Topology.Power, 10, 0.03);

        Assert.Equal(new Footprint(0, 0, 0.3), footprint);
    }

    [Fact]
    public void Adding_footprints_adds_each_component()
    {
        var sum = new Footprint(1.5, 0.25, 3) + new Footprint(0.5, 0.75, 1);

        Assert.Equal(new Footprint(2, 1, 4), sum);
    }

    [Fact]
    public void Subtracting_footprints_subtracts_each_component_and_may_go_negative()
    {
        var saving = new Footprint(1.5, 0.25, 3) - new Footprint(0.5, 0.75, 1);

        Assert.Equal(new Footprint(1, -0.5, 2), saving);
    }

    [Fact]
    public void Zero_is_the_identity_of_addition()
    {
        var footprint = new Footprint(1.25, 0.5, 2.75);

        Assert.Equal(footprint, footprint + Footprint.Zero);
        Assert.Equal(Footprint.Zero, footprint - footprint);
    }

    private static Footprint WorkedExample()
    {
        var topology = Shipped.Topology;
        return FootprintCalculator.Of(WorkedRequest, TimeSpan.FromHours(2), topology.DataCenters["guian"].Energy, topology.Power, 10, topology.TransferCnyPerGiB);
    }
}
