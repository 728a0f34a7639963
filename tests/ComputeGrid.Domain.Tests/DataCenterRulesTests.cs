using ComputeGrid.Domain.Resources;
using ComputeGrid.Domain.Topology;

namespace ComputeGrid.Domain.Tests;

/// <summary>The bounds on a data center's capacity, name and GPU models (issue 17, items 6 and 10).</summary>
public class DataCenterRulesTests
{
    private static readonly DataCenterSpec Valid = new(
        "horinger-2",
        "Horinger phase 2",
        "inner-mongolia",
        new GeoPoint(40.38, 111.82),
        ResourceVector.Of(1_000_000, 4_096_000, [new("A800", 64)]),
        new EnergyProfile(1.2, 0.6849, 0.8, 0.38));

    [Fact]
    public void The_valid_data_center_is_valid()
    {
        Assert.Empty(DataCenterRules.Validate(Valid, Shipped.Topology.Hubs));
    }

    [Theory]
    [InlineData("CPU at the bound", 100_000_000_000, 1, 1, null)]
    [InlineData("memory at the bound", 1, 1L << 40, 1, null)]
    [InlineData("GPUs at the bound", 1, 1, 1_000_000, null)]
    [InlineData("CPU of 2^63-1 millicores", long.MaxValue, 1, 1, "capacity.cpuMillicores")]
    [InlineData("CPU one above the bound", 100_000_000_001, 1, 1, "capacity.cpuMillicores")]
    [InlineData("negative CPU", -1, 1, 1, "capacity.cpuMillicores")]
    [InlineData("memory of 2^63-1 MiB", 1, long.MaxValue, 1, "capacity.memoryMiB")]
    [InlineData("GPUs of 2^31-1", 1, 1, int.MaxValue, "capacity.gpus.A800")]
    [InlineData("negative GPUs", 1, 1, -1, "capacity.gpus.A800")]
    public void Capacity_is_bounded_in_every_dimension(string name, long cpu, long memory, int gpus, string? field)
    {
        var spec = Valid with { Capacity = ResourceVector.Of(cpu, memory, [new("A800", gpus)]) };

        var errors = DataCenterRules.Validate(spec, Shipped.Topology.Hubs);

        Assert.True(field is null ? errors.Count == 0 : errors.Single().Field == field, $"{name}: {string.Join("; ", errors)}");
    }

    [Theory]
    [InlineData("<script>x")]
    [InlineData("A 800")]
    [InlineData("-A800")]
    [InlineData("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")]
    public void A_GPU_model_name_is_letters_digits_dots_underscores_and_dashes(string model)
    {
        var spec = Valid with { Capacity = ResourceVector.Of(1, 1, [new(model, 1)]) };

        Assert.Equal("capacity.gpus", Assert.Single(DataCenterRules.Validate(spec, Shipped.Topology.Hubs)).Field);
    }

    [Fact]
    public void A_name_of_60_KB_is_refused()
    {
        var spec = Valid with { Name = new string('n', 60_000) };

        Assert.Equal("name", Assert.Single(DataCenterRules.Validate(spec, Shipped.Topology.Hubs)).Field);
    }

    [Fact]
    public void A_data_center_that_would_take_the_pool_total_beyond_what_it_can_count_is_refused()
    {
        var pool = ResourceVector.Of(DataCenterRules.MaxPoolTotal.CpuMillicores - 10, 0, [new("A800", DataCenterRules.MaxPoolGpusPerModel)]);

        Assert.Empty(DataCenterRules.ValidatePoolTotal(pool, ResourceVector.Of(10, 5)));
        Assert.Equal(
            ["capacity.cpuMillicores", "capacity.gpus.A800"],
            DataCenterRules.ValidatePoolTotal(pool, ResourceVector.Of(11, 5, [new("A800", 1)])).Select(e => e.Field));
    }
}
