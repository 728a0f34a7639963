using System.Globalization;
using System.Text;
using ComputeGrid.Domain.Placement;
using ComputeGrid.Domain.Topology;
using ComputeGrid.Replay.Mapping;
using ComputeGrid.Replay.Running;
using Spectre.Console;

namespace ComputeGrid.Replay.Reports;

/// <summary>One replay under one queue discipline: what the queue's order and gate cost the jobs and bought the hubs.</summary>
/// <param name="Trace">The trace's short name.</param>
/// <param name="Load">The load replayed at.</param>
/// <param name="Discipline">The queue discipline's name.</param>
/// <param name="Policy">The placement policy's name.</param>
/// <param name="Completed">Jobs that ran to success.</param>
/// <param name="Submitted">Jobs submitted.</param>
/// <param name="MeanWaitS">Mean wait of the jobs that started, s.</param>
/// <param name="P95WaitS">95th-percentile wait of the jobs that started, s.</param>
/// <param name="Utilisation">
/// Mean utilisation of the hubs that ran jobs, 0..1: the core-hours (GPU-hours for a GPU trace) run there over their
/// capacity times the replay's span (so a shorter makespan for the same work is a higher utilisation).
/// </param>
/// <param name="SpanHours">The replay's span on the virtual clock, h (first submission to the last sample).</param>
/// <param name="TimedOut">True when the wall-clock budget ended the replay early.</param>
public sealed record DisciplineRow(string Trace, double Load, string Discipline, string Policy, int Completed, int Submitted, double MeanWaitS, double P95WaitS, double Utilisation, double SpanHours, bool TimedOut);

/// <summary>Queue disciplines side by side (<c>--queue-discipline</c> with several).</summary>
public static class DisciplineComparison
{
    /// <summary>The discipline's name on the command line and in reports (kebab case).</summary>
    public static string Name(this QueueDiscipline discipline) => discipline switch
    {
        QueueDiscipline.FairShare => "fair-share",
        QueueDiscipline.StrictPriority => "strict-priority",
        _ => "backfill",
    };

    /// <summary>Parses a comma-separated list of discipline names (kebab case, or as configured: <c>FairShare</c>); throws <see cref="FormatException"/> naming an unknown one.</summary>
    public static IReadOnlyList<QueueDiscipline> Parse(string list)
    {
        var chosen = new List<QueueDiscipline>();
        foreach (var name in list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var match = Enum.GetValues<QueueDiscipline>().Cast<QueueDiscipline?>().FirstOrDefault(d =>
                string.Equals(d!.Value.Name(), name, StringComparison.OrdinalIgnoreCase) || string.Equals(d.Value.ToString(), name, StringComparison.OrdinalIgnoreCase));
            if (match is not { } discipline)
            {
                throw new FormatException($"unknown queue discipline '{name}'; known: {string.Join(", ", Enum.GetValues<QueueDiscipline>().Select(d => d.Name()))}");
            }

            if (!chosen.Contains(discipline))
            {
                chosen.Add(discipline);
            }
        }

        return chosen.Count == 0 ? throw new FormatException("--queue-discipline names no discipline") : chosen;
    }

    /// <summary>The row for one result.</summary>
    public static DisciplineRow Row(string trace, double load, PolicyResult result, NationalTopology topology)
    {
        var gpuTrace = result.Jobs.Any(j => j.GpuHours > 0);
        var span = result.Samples.Select(s => s.At).DefaultIfEmpty(TimeSpan.Zero).Max();
        var ran = result.Jobs.Where(j => j.HubId is not null).ToList();
        var used = ran.Sum(j => gpuTrace ? j.GpuHours : j.CoreHours);
        var capacity = ran.Select(j => j.HubId!).Distinct(StringComparer.Ordinal)
            .Sum(h => topology.DataCentersOf(h).Sum(d => gpuTrace ? d.Capacity.TotalGpus : d.Capacity.CpuMillicores / 1000.0));
        var utilisation = capacity == 0 || span <= TimeSpan.Zero ? 0 : used / (capacity * span.TotalHours);
        return new DisciplineRow(
            trace, load, result.Discipline.Name(), result.Policy.Name(), result.Completed, result.Submitted,
            result.MeanWait.TotalSeconds, result.P95Wait.TotalSeconds, utilisation, span.TotalHours, result.TimedOut);
    }

    /// <summary>The rows as a console table.</summary>
    public static Table ToTable(IEnumerable<DisciplineRow> rows)
    {
        var c = CultureInfo.InvariantCulture;
        var table = new Table().AddColumns("Trace", "Load", "Discipline", "Policy", "Completed", "Mean wait s", "p95 wait s", "Mean utilisation", "Span h");
        foreach (var r in rows)
        {
            table.AddRow(
                Markup.Escape(r.Trace), r.Load.ToString("F2", c), Markup.Escape(r.Discipline + (r.TimedOut ? " (budget)" : string.Empty)), Markup.Escape(r.Policy),
                $"{r.Completed}/{r.Submitted}", r.MeanWaitS.ToString("F0", c), r.P95WaitS.ToString("F0", c), r.Utilisation.ToString("P1", c), r.SpanHours.ToString("F1", c));
        }

        return table;
    }

    /// <summary>The rows as a Markdown table.</summary>
    public static string ToMarkdown(IEnumerable<DisciplineRow> rows)
    {
        var c = CultureInfo.InvariantCulture;
        var md = new StringBuilder();
        md.AppendLine("| Trace | Load | Discipline | Policy | Completed | Mean wait s | p95 wait s | Mean utilisation | Span h |");
        md.AppendLine("|---|---:|---|---|---:|---:|---:|---:|---:|");
        foreach (var r in rows)
        {
            md.AppendLine(string.Create(c, $"| {r.Trace} | {r.Load:F2} | {r.Discipline}{(r.TimedOut ? " (budget)" : string.Empty)} | {r.Policy} | {r.Completed}/{r.Submitted} | {r.MeanWaitS:F0} | {r.P95WaitS:F0} | {r.Utilisation:P1} | {r.SpanHours:F1} |"));
        }

        return md.ToString();
    }
}
