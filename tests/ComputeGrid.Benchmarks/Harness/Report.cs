using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;
using Spectre.Console;

namespace ComputeGrid.Benchmarks.Harness;

/// <summary>One line of a scenario's table: a measured run, or a single value with its unit.</summary>
/// <param name="Name">What was measured.</param>
/// <param name="Run">The run's throughput and latencies, when it is a run.</param>
/// <param name="Value">A single figure (bytes, a ratio), when it is not a run.</param>
/// <param name="Unit">The figure's unit.</param>
/// <param name="Note">Conditions worth knowing (concurrency, rate, pool size).</param>
public sealed record Row(string Name, RunResult? Run = null, double? Value = null, string? Unit = null, string? Note = null);

/// <summary>A scenario's result: rows, then one headline line that the scenario ends with.</summary>
public sealed class Report(BenchOptions options)
{
    private readonly List<Row> _rows = [];

    /// <summary>Adds a row and prints it at once, so a long scenario shows progress.</summary>
    public void Add(Row row)
    {
        _rows.Add(row);
        AnsiConsole.MarkupLine(CultureInfo.InvariantCulture, "[grey]{0}[/]", Markup.Escape(Describe(row)));
    }

    /// <summary>Prints the table, writes the JSON and prints the headline as the last line.</summary>
    public async Task FinishAsync(string headline, CancellationToken cancellationToken = default)
    {
        var table = new Table().Title($"{options.Scenario}{(options.Quick ? " (quick)" : string.Empty)}")
            .AddColumn("measure").AddColumn(new TableColumn("ops").RightAligned()).AddColumn(new TableColumn("per s").RightAligned())
            .AddColumn(new TableColumn("p50 ms").RightAligned()).AddColumn(new TableColumn("p99 ms").RightAligned())
            .AddColumn(new TableColumn("value").RightAligned()).AddColumn("note");
        foreach (var row in _rows)
        {
            table.AddRow(
                Markup.Escape(row.Name),
                row.Run is { } r ? r.Operations.ToString("N0", CultureInfo.InvariantCulture) : string.Empty,
                row.Run is { } r2 ? r2.PerSecond.ToString("N0", CultureInfo.InvariantCulture) : string.Empty,
                row.Run is { } r3 ? r3.P50Ms.ToString("0.00", CultureInfo.InvariantCulture) : string.Empty,
                row.Run is { } r4 ? r4.P99Ms.ToString("0.00", CultureInfo.InvariantCulture) : string.Empty,
                row.Value is { } v ? $"{v.ToString("N2", CultureInfo.InvariantCulture)} {row.Unit}" : string.Empty,
                Markup.Escape(row.Note ?? string.Empty));
        }

        AnsiConsole.Profile.Width = Math.Max(AnsiConsole.Profile.Width, 160);
        AnsiConsole.Write(table);
        Directory.CreateDirectory(options.OutputDirectory);
        var path = Path.Combine(options.OutputDirectory, $"{options.Scenario}.json");
        var document = new
        {
            options.Scenario,
            options.Quick,
            options.Concurrency,
            At = DateTimeOffset.UtcNow,
            Machine = new { Environment.ProcessorCount, Cpu = CpuModel(), Os = RuntimeInformation.OSDescription, Runtime = RuntimeInformation.FrameworkDescription },
            Rows = _rows.Select(r => new
            {
                r.Name,
                r.Run?.Operations,
                PerSecond = r.Run?.PerSecond,
                r.Run?.P50Ms,
                r.Run?.P99Ms,
                r.Run?.MaxMs,
                r.Run?.Failures,
                r.Run?.Seconds,
                r.Value,
                r.Unit,
                r.Note,
            }),
            Headline = headline,
        };
        await File.WriteAllTextAsync(path, JsonSerializer.Serialize(document, JsonOptions), cancellationToken);
        AnsiConsole.MarkupLine(CultureInfo.InvariantCulture, "[grey]wrote {0}[/]", Markup.Escape(path));
        Console.WriteLine(headline);
    }

    /// <summary>The CPU model from /proc/cpuinfo where there is one.</summary>
    public static string CpuModel()
    {
        const string Key = "model name";
        return File.Exists("/proc/cpuinfo")
            ? File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith(Key, StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "unknown"
            : RuntimeInformation.ProcessArchitecture.ToString();
    }

    private static string Describe(Row row) => row.Run is { } r
        ? string.Create(CultureInfo.InvariantCulture, $"{row.Name}: {r.PerSecond:N0}/s, p50 {r.P50Ms:0.00} ms, p99 {r.P99Ms:0.00} ms ({r.Operations:N0} ops, {r.Failures} failed) {row.Note}")
        : string.Create(CultureInfo.InvariantCulture, $"{row.Name}: {row.Value:N2} {row.Unit} {row.Note}");

    private static readonly JsonSerializerOptions JsonOptions = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.CamelCase };
}
