using ComputeGrid.Benchmarks.Harness;
using ComputeGrid.Benchmarks.Scenarios;

var (options, error) = BenchOptions.Parse(args);
if (options is null)
{
    Console.Error.WriteLine(error);
    return 2;
}

await (options.Scenario switch
{
    "floor" => FloorScenario.RunAsync(options),
    "placement" => PlacementScenario.RunAsync(options),
    "storage" => StorageScenario.RunAsync(options),
    "scale" => ScaleScenario.RunAsync(options),
    "memory" => MemoryScenario.RunAsync(options),
    "arrays" => ArraysScenario.RunAsync(options),
    _ => LoansScenario.RunAsync(options),
});
return 0;
