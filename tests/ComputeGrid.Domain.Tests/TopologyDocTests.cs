using System.Globalization;

namespace ComputeGrid.Domain.Tests;

/// <summary>The numbers docs/topology.md prints are the numbers the code computes from the shipped file.</summary>
public sealed class TopologyDocTests
{
    private static readonly string[] Lines = File.ReadAllLines(System.IO.Path.Combine(RepositoryRoot(), "docs", "topology.md"));

    [Fact]
    public void The_documented_latency_matrix_matches_the_latency_model()
    {
        var header = Lines.First(l => l.StartsWith("| Origin |", StringComparison.Ordinal));
        var dataCenters = Cells(header).Skip(1).ToList();
        var rows = Lines.SkipWhile(l => l != header).Skip(2).TakeWhile(l => l.StartsWith('|')).ToList();

        Assert.Equal(Shipped.Topology.Hubs.Count, rows.Count);
        foreach (var row in rows)
        {
            var cells = Cells(row);
            var origin = cells[0].Trim('`');
            for (var i = 0; i < dataCenters.Count; i++)
            {
                var expected = Shipped.Topology.LatencyMs(origin, Shipped.Topology.DataCenters[dataCenters[i]]);
                Assert.Equal(Math.Round(expected, 1), double.Parse(cells[i + 1], CultureInfo.InvariantCulture), 1);
            }
        }
    }

    [Fact]
    public void The_documented_carbon_and_cost_per_kWh_match_each_energy_profile()
    {
        var rows = Lines.SkipWhile(l => !l.StartsWith("| Data center | kgCO2 per IT kWh", StringComparison.Ordinal)).Skip(2).TakeWhile(l => l.StartsWith('|')).ToList();

        Assert.Equal(Shipped.Topology.DataCenters.Count, rows.Count);
        foreach (var cells in rows.Select(Cells))
        {
            var energy = Shipped.Topology.DataCenters[cells[0].Trim('`')].Energy;
            Assert.Equal(energy.EffectiveKgCo2PerItKwh, double.Parse(cells[1], CultureInfo.InvariantCulture), 6);
            Assert.Equal(energy.Pue * energy.PriceCnyPerKwh, double.Parse(cells[2], CultureInfo.InvariantCulture), 6);
        }
    }

    private static List<string> Cells(string row) => [.. row.Trim().Trim('|').Split('|').Select(c => c.Trim())];

    private static string RepositoryRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(System.IO.Path.Combine(directory.FullName, "ComputeGrid.sln")))
        {
            directory = directory.Parent;
        }

        return directory?.FullName ?? throw new InvalidOperationException("ComputeGrid.sln not found above the test assembly.");
    }
}
