using ComputeGrid.Domain.Accounting;
using ComputeGrid.Domain.Resources;
using ComputeGrid.Domain.Targets;
using ComputeGrid.Domain.Topology;

namespace ComputeGrid.Domain.Tests;

public class HubTargetsTests
{
    private static readonly NationalTargets Targets = NationalTargets.Default;

    [Theory]
    [InlineData(Zone.East, 1.25)]
    [InlineData(Zone.West, 1.2)]
    public void The_PUE_target_is_1_25_in_the_east_and_1_2_in_the_west(Zone zone, double target)
    {
        Assert.Equal(target, Targets.PueTargetOf(zone));
    }

    [Fact]
    public void Before_any_work_finished_green_share_and_PUE_are_weighted_by_CPU_capacity()
    {
        // 3/4 of the CPU at green 0.9 and PUE 1.2, 1/4 at green 0.5 and PUE 1.4: green 0.8, PUE 1.25.
        var assessment = HubTargets.Assess(Zone.West, [Dc("a", 300_000, 1.2, 0.9), Dc("b", 100_000, 1.4, 0.5)], Targets);

        Assert.Equal(ReadingBasis.Capacity, assessment.GreenShare.Basis);
        Assert.Equal(0.8, assessment.GreenShare.Value, 12);
        Assert.True(assessment.GreenShare.Meets);
        Assert.Equal(1.25, assessment.Pue.Value, 12);
        Assert.False(assessment.Pue.Meets);
    }

    [Fact]
    public void Once_work_finished_green_share_is_the_green_kWh_over_all_kWh_of_that_work()
    {
        // a: 10 kWh at green 0.9 (9 green); b: 30 kWh at green 0.2 (6 green): 15 / 40 = 0.375, whatever the capacities.
        var assessment = HubTargets.Assess(
            Zone.East,
            [Dc("a", 100_000, 1.25, 0.9, executedKwh: 10), Dc("b", 100_000, 1.25, 0.2, executedKwh: 30)],
            Targets);

        Assert.Equal(ReadingBasis.FinishedWork, assessment.GreenShare.Basis);
        Assert.Equal(0.375, assessment.GreenShare.Value, 12);
        Assert.False(assessment.GreenShare.Meets);
    }

    [Fact]
    public void Once_work_finished_PUE_is_facility_kWh_over_IT_kWh_of_that_work()
    {
        // a: 12 kWh at PUE 1.2 (10 IT); b: 14 kWh at PUE 1.4 (10 IT): 26 / 20 = 1.3.
        var assessment = HubTargets.Assess(
            Zone.East,
            [Dc("a", 100_000, 1.2, 0.5, executedKwh: 12), Dc("b", 900_000, 1.4, 0.5, executedKwh: 14)],
            Targets);

        Assert.Equal(ReadingBasis.FinishedWork, assessment.Pue.Basis);
        Assert.Equal(1.3, assessment.Pue.Value, 12);
        Assert.False(assessment.Pue.Meets);
    }

    [Theory]
    [InlineData(Zone.West, 1.2, true)]
    [InlineData(Zone.West, 1.21, false)]
    [InlineData(Zone.East, 1.25, true)]
    [InlineData(Zone.East, 1.3, false)]
    public void A_PUE_at_the_zones_target_meets_it_and_one_above_does_not(Zone zone, double pue, bool meets)
    {
        var assessment = HubTargets.Assess(zone, [Dc("a", 100_000, pue, 0.8, executedKwh: 7)], Targets);

        Assert.Equal(meets, assessment.Pue.Meets);
    }

    [Theory]
    [InlineData(0, 0, 0, 0.0, false)]
    [InlineData(65_000, 0, 0, 0.65, true)]
    [InlineData(64_000, 0, 0, 0.64, false)]
    [InlineData(10_000, 70 * 1024, 0, 0.70, true)]
    [InlineData(10_000, 0, 7, 0.70, true)]
    public void Utilisation_is_the_dominant_share_of_reserved_capacity_and_meets_the_target_from_65_percent(
        long usedCpu, long usedMemoryMiB, int usedGpus, double utilisation, bool meets)
    {
        var dc = Dc("a", 100_000, 1.2, 0.8, gpus: 10) with { Used = ResourceVector.Of(usedCpu, usedMemoryMiB, [new("910B", usedGpus)]) };

        var assessment = HubTargets.Assess(Zone.West, [dc], Targets);

        Assert.Equal(ReadingBasis.ReservedNow, assessment.Utilisation.Basis);
        Assert.Equal(utilisation, assessment.Utilisation.Value, 12);
        Assert.Equal(meets, assessment.Utilisation.Meets);
    }

    [Fact]
    public void A_hub_without_data_centers_meets_no_target()
    {
        var assessment = HubTargets.Assess(Zone.West, [], Targets);

        Assert.All([assessment.Pue, assessment.Utilisation, assessment.GreenShare], r =>
        {
            Assert.Equal(ReadingBasis.NoDataCenters, r.Basis);
            Assert.False(r.Meets);
        });
    }

    private static DataCenterUse Dc(string id, long cpuMillicores, double pue, double green, double executedKwh = 0, int gpus = 0) =>
        new(
            new DataCenterSpec(
                id,
                id,
                "hub",
                new GeoPoint(30, 110),
                ResourceVector.Of(cpuMillicores, 100 * 1024, gpus > 0 ? [new("910B", gpus)] : null),
                new EnergyProfile(pue, 0.5, green, 0.5)),
            ResourceVector.Zero,
            new Footprint(executedKwh, 0, 0));
}
