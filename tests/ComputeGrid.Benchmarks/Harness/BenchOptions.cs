namespace ComputeGrid.Benchmarks.Harness;

/// <summary>Command-line options shared by every scenario.</summary>
/// <param name="Scenario">floor, placement, storage, scale, memory, loans or arrays.</param>
/// <param name="Quick">A short run (under a minute) for smoke checks; the numbers are noisier.</param>
/// <param name="Concurrency">Callers in flight at once in the closed-loop runs.</param>
/// <param name="Operations">Calls or jobs per measured run; null = the scenario's default for the mode.</param>
/// <param name="OutputDirectory">Where the JSON goes.</param>
public sealed record BenchOptions(string Scenario, bool Quick, int Concurrency, int? Operations, string OutputDirectory)
{
    /// <summary>The scenarios, in the order <c>all</c> runs them.</summary>
    public static readonly string[] Scenarios = ["floor", "placement", "storage", "scale", "memory", "loans", "arrays"];

    /// <summary>Parses <c>&lt;scenario&gt; [--quick] [--concurrency N] [--ops N] [--out DIR]</c>; null with a message when invalid.</summary>
    public static (BenchOptions? Options, string? Error) Parse(string[] args)
    {
        if (args.Length == 0 || !Scenarios.Contains(args[0], StringComparer.Ordinal))
        {
            return (null, $"usage: <{string.Join("|", Scenarios)}> [--quick] [--concurrency N] [--ops N] [--out DIR]");
        }

        var quick = false;
        var concurrency = 256;
        int? operations = null;
        var output = Path.Combine(RepositoryRoot(), "artifacts", "benchmarks");
        for (var i = 1; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--quick":
                    quick = true;
                    break;
                case "--concurrency" when i + 1 < args.Length && int.TryParse(args[i + 1], out var c) && c > 0:
                    concurrency = c;
                    i++;
                    break;
                case "--ops" when i + 1 < args.Length && int.TryParse(args[i + 1], out var n) && n > 0:
                    operations = n;
                    i++;
                    break;
                case "--out" when i + 1 < args.Length:
                    output = Path.GetFullPath(args[i + 1]);
                    i++;
                    break;
                default:
                    return (null, $"unknown or incomplete option '{args[i]}'");
            }
        }

        return (new BenchOptions(args[0], quick, concurrency, operations, output), null);
    }

    /// <summary>The nearest directory at or above the working directory that holds ComputeGrid.sln (else the working directory).</summary>
    public static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(Environment.CurrentDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "ComputeGrid.sln")))
            {
                return dir.FullName;
            }
        }

        return Environment.CurrentDirectory;
    }
}
