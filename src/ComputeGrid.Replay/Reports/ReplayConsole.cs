using System.Globalization;
using Spectre.Console;

namespace ComputeGrid.Replay.Reports;

/// <summary>
/// Where the replay writes for a person. On a terminal: colours, a live progress bar and tables as wide as the window.
/// Redirected to a file or a pipe (where Spectre.Console would assume 80 columns and wrap every table row over several
/// lines): plain text, one line per progress step, and Markdown tables with one line per row, however wide.
/// </summary>
public static class ReplayConsole
{
    /// <summary>The line width when output is redirected, in characters: wide enough that no row or sentence wraps.</summary>
    public const int RedirectedWidth = 4096;

    /// <summary>A console writing to <paramref name="output"/>, a terminal unless <paramref name="redirected"/>.</summary>
    public static IAnsiConsole Create(TextWriter output, bool redirected)
    {
        if (!redirected)
        {
            return AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(output) });
        }

        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(output),
            Ansi = AnsiSupport.No,
            ColorSystem = ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.No,
        });
        console.Profile.Width = RedirectedWidth;
        return console;
    }

    /// <summary>
    /// Writes <paramref name="table"/>; redirected, as Markdown with one line per row and without the blank lines that
    /// stand for the table's top and bottom borders.
    /// </summary>
    public static void Write(IAnsiConsole console, Table table, bool redirected)
    {
        if (!redirected)
        {
            console.Write(table);
            return;
        }

        table.Border(TableBorder.Markdown);
        using var text = new StringWriter();
        Create(text, redirected: true).Write(table);
        foreach (var line in text.ToString().Split('\n').Select(l => l.TrimEnd()).Where(l => l.Length > 0))
        {
            console.WriteLine(line);
        }
    }

    /// <summary>The policies side by side, one row per policy.</summary>
    public static Table PolicyTable(IEnumerable<PolicyRow> rows)
    {
        var table = new Table().AddColumns("Policy", "Completed", "Mean wait s", "p95 wait s", "Latency viol.", "kWh", "kgCO2", "CNY", "West", "Loans", "Loans/borrowed job", "CO2 saved", "CNY saved");
        var c = CultureInfo.InvariantCulture;
        foreach (var r in rows)
        {
            table.AddRow(
                Markup.Escape(r.Policy + (r.TimedOut ? " (budget)" : string.Empty)), $"{r.Completed}/{r.Submitted}", r.MeanWaitS.ToString("F0", c), r.P95WaitS.ToString("F0", c),
                r.LatencyViolations.ToString(c), r.EnergyKwh.ToString("N0", c), r.CarbonKg.ToString("N0", c), r.CostCny.ToString("N0", c), r.WestShare.ToString("P0", c),
                r.LoansMade.ToString(c), r.LoansPerBorrowedJob?.ToString("F3", c) ?? "n/a", r.CarbonSaving?.ToString("P1", c) ?? "n/a", r.CostSaving?.ToString("P1", c) ?? "n/a");
        }

        return table;
    }

    /// <summary>Mean and peak utilisation per hub, one row per policy (mean / peak).</summary>
    public static Table UtilisationTable(IEnumerable<PolicyRow> rows)
    {
        var list = rows.ToList();
        var hubs = list.SelectMany(r => r.Utilisation.Keys).Distinct().Order(StringComparer.Ordinal).ToList();
        var table = new Table().AddColumns(["Utilisation mean / peak", .. hubs]);
        var c = CultureInfo.InvariantCulture;
        foreach (var r in list)
        {
            table.AddRow([Markup.Escape(r.Policy), .. hubs.Select(h => r.Utilisation.GetValueOrDefault(h).ToString("P1", c) + " / " + r.PeakUtilisation.GetValueOrDefault(h).ToString("P0", c))]);
        }

        return table;
    }
}
