using ComputeGrid.Benchmarks.Harness;

namespace ComputeGrid.Benchmarks.Scenarios;

/// <summary>
/// The placement scenario with grain state in Azure Storage on a private Azurite, as cluster mode keeps it (blobs for
/// grain state, a table for pub-sub); streams stay in memory so the difference to <c>placement</c> is the storage alone.
/// </summary>
internal static class StorageScenario
{
    public static async Task RunAsync(BenchOptions options)
    {
        var report = new Report(options);
        await using var azurite = await Azurite.StartAsync(BenchOptions.RepositoryRoot());
        var ratio = await PlacementScenario.MeasureAsync(options, new StorageMode(azurite.ConnectionString), report, "storage");
        await report.FinishAsync($"storage/persisted floor = {ratio:F2}");
    }
}
