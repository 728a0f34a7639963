using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using ComputeGrid.Domain.Topology;
using ComputeGrid.Replay.Load;
using ComputeGrid.Replay.Mapping;
using ComputeGrid.Replay.Running;
using ComputeGrid.Replay.Traces;

namespace ComputeGrid.Replay.Reports;

/// <summary>One policy's row of the report: the numbers a planner compares.</summary>
/// <param name="Policy">The policy's name.</param>
/// <param name="Submitted">Trace jobs submitted.</param>
/// <param name="Rejected">Refused as never runnable.</param>
/// <param name="Completed">Ran to success.</param>
/// <param name="MeanWaitS">Mean wait, s.</param>
/// <param name="P95WaitS">95th-percentile wait, s.</param>
/// <param name="LatencyViolations">Jobs placed beyond their latency class (must be 0).</param>
/// <param name="EnergyKwh">Energy, kWh.</param>
/// <param name="CarbonKg">Emissions, kgCO2.</param>
/// <param name="CostCny">Cost, CNY.</param>
/// <param name="PoolEnergyKwh">The pool's own executed-energy total, kWh (equals EnergyKwh when nothing was lost).</param>
/// <param name="WestShare">Share of core-hours (GPU-hours for a GPU trace) run in western hubs, 0..1.</param>
/// <param name="Utilisation">Mean utilisation per hub over the trace's span (CPU, or GPU for a GPU trace), 0..1.</param>
/// <param name="LoansMade">Loans accepted between hubs.</param>
/// <param name="JobsOnLoan">Jobs that ran on borrowed capacity.</param>
/// <param name="CarbonSaving">Carbon saved against origin-only, 0..1 (negative: more carbon).</param>
/// <param name="CostSaving">Cost saved against origin-only, 0..1.</param>
/// <param name="EnergySaving">Energy saved against origin-only, 0..1.</param>
/// <param name="TimedOut">True when the wall-clock budget ended the policy's replay early.</param>
/// <param name="WallSeconds">How long the policy's replay took on the wall clock, s (federation start included).</param>
public sealed record PolicyRow(
    string Policy,
    int Submitted,
    int Rejected,
    int Completed,
    double MeanWaitS,
    double P95WaitS,
    int LatencyViolations,
    double EnergyKwh,
    double CarbonKg,
    double CostCny,
    double PoolEnergyKwh,
    double WestShare,
    IReadOnlyDictionary<string, double> Utilisation,
    int LoansMade,
    int JobsOnLoan,
    double? CarbonSaving,
    double? CostSaving,
    double? EnergySaving,
    bool TimedOut,
    double WallSeconds)
{
    /// <summary>Peak utilisation per hub among the replay's samples (CPU, or GPU for a GPU trace), 0..1; empty when not sampled.</summary>
    public IReadOnlyDictionary<string, double> PeakUtilisation { get; init; } = new Dictionary<string, double>();

    /// <summary>The longest wait among the jobs that started, s (<see cref="PolicyResult.MaxWait"/>).</summary>
    public double MaxWaitS { get; init; }

    /// <summary>Loans opened per job that ran on a loan (<see cref="LoansMade"/> / <see cref="JobsOnLoan"/>); null when no job ran on one.</summary>
    public double? LoansPerBorrowedJob => JobsOnLoan == 0 ? null : (double)LoansMade / JobsOnLoan;
}

/// <summary>A replay's report: the trace, how it was read and mapped, and one row per policy; written as Markdown, JSON and SVG.</summary>
/// <param name="Trace">The trace file's name.</param>
/// <param name="Citation">How to cite the trace.</param>
/// <param name="Read">What the reader made of it (counts of malformed and unusable lines).</param>
/// <param name="Replayed">Jobs replayed (after --max-jobs / --skip-jobs).</param>
/// <param name="Command">The command line that produced the report.</param>
/// <param name="Rows">One row per policy, in run order.</param>
/// <param name="Assumptions">The topology's stated assumptions and the mapping rule.</param>
public sealed record ReplayReport(
    string Trace,
    string Citation,
    TraceSummary Read,
    int Replayed,
    string Command,
    IReadOnlyList<PolicyRow> Rows,
    IReadOnlyList<string> Assumptions)
{
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true, NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals };

    /// <summary>How the load was set (capacity scale, speedup, achieved load); null for the topology as it is.</summary>
    public LoadPlan? Load { get; init; }

    /// <summary>The policies against the baseline and the offline optimum; null when not computed.</summary>
    public LoadComparison? Comparison { get; init; }

    /// <summary>Builds the report from each policy's result; savings are against the origin-only row when it ran.</summary>
    /// <param name="trace">The trace file's name.</param>
    /// <param name="read">What the reader made of it.</param>
    /// <param name="replayed">Jobs replayed.</param>
    /// <param name="command">The command line.</param>
    /// <param name="results">One result per policy.</param>
    /// <param name="topology">The topology replayed on.</param>
    /// <param name="mapping">The mapping rules, one sentence each.</param>
    /// <param name="cluster">The trace cluster's inventory in one line (the Alibaba node list); null when the trace has none.</param>
    public static ReplayReport Build(
        string trace, TraceReadResult read, int replayed, string command, IReadOnlyList<PolicyResult> results, NationalTopology topology, IEnumerable<string> mapping, string? cluster = null)
    {
        var gpuTrace = results.SelectMany(r => r.Jobs).Any(j => j.GpuHours > 0);
        var baseline = results.FirstOrDefault(r => r.Policy == ReplayPolicy.OriginOnly)?.Total;
        var span = results.SelectMany(r => r.Samples).Select(s => s.At).DefaultIfEmpty(TimeSpan.Zero).Max();
        var rows = results.Select(r =>
        {
            var total = r.Total;
            double west = 0, all = 0;
            var usedByHub = topology.Hubs.Keys.ToDictionary(h => h, _ => 0.0, StringComparer.Ordinal);
            foreach (var job in r.Jobs.Where(j => j.HubId is not null))
            {
                var amount = gpuTrace ? job.GpuHours : job.CoreHours;
                all += amount;
                west += topology.Hubs[job.HubId!].Zone == Zone.West ? amount : 0;
                usedByHub[job.HubId!] += amount;
            }

            var utilisation = usedByHub.ToDictionary(
                kv => kv.Key,
                kv =>
                {
                    var capacity = topology.DataCentersOf(kv.Key).Sum(d => gpuTrace ? d.Capacity.TotalGpus : d.Capacity.CpuMillicores / 1000.0);
                    return capacity == 0 || span <= TimeSpan.Zero ? 0 : kv.Value / (capacity * span.TotalHours);
                },
                StringComparer.Ordinal);
            double? Saving(double value, double? against) => against is > 0 ? 1 - (value / against.Value) : null;
            return new PolicyRow(
                r.Policy.Name(), r.Submitted, r.Rejected, r.Completed, r.MeanWait.TotalSeconds, r.P95Wait.TotalSeconds, r.LatencyViolations,
                total.EnergyKwh, total.CarbonKg, total.CostCny, r.PoolExecuted.EnergyKwh, all == 0 ? 0 : west / all, utilisation,
                r.LoansMade, r.JobsOnLoan,
                Saving(total.CarbonKg, baseline?.CarbonKg), Saving(total.CostCny, baseline?.CostCny), Saving(total.EnergyKwh, baseline?.EnergyKwh),
                r.TimedOut,
                r.WallTime.TotalSeconds)
            {
                MaxWaitS = r.MaxWait.TotalSeconds,
                PeakUtilisation = usedByHub.Keys.ToDictionary(
                    h => h,
                    h => r.Samples.Select(s => (gpuTrace ? s.Gpu : s.Cpu).GetValueOrDefault(h)).DefaultIfEmpty(0).Max(),
                    StringComparer.Ordinal),
            };
        }).ToList();
        return new ReplayReport(
            Path.GetFileName(trace),
            read.Citation,
            new TraceSummary(read.Format, read.Jobs.Count, read.Malformed, read.Unusable, read.Truncated, read.Jobs.Count(j => j.RunTime > JobMapper.MaxRunTime), cluster),
            replayed,
            command,
            rows,
            [.. mapping, .. topology.Assumptions]);
    }

    /// <summary>The report as indented JSON.</summary>
    public string ToJson() => JsonSerializer.Serialize(this, Json);

    /// <summary>The report as Markdown, with the charts linked by file name.</summary>
    public string ToMarkdown(IEnumerable<string> charts)
    {
        var md = new StringBuilder();
        var c = CultureInfo.InvariantCulture;
        md.AppendLine(c, $"# Replay of {Trace}").AppendLine();
        md.AppendLine(c, $"Trace: {Read.Format}; {Read.Jobs} usable jobs, {Read.Malformed} malformed lines, {Read.Unusable} unusable jobs, truncated: {(Read.Truncated ? "yes" : "no")}, {Read.Clamped} run times clamped to 30 days. Replayed: {Replayed} jobs.").AppendLine();
        if (Read.Cluster is not null)
        {
            md.AppendLine(c, $"Trace cluster: {Read.Cluster}").AppendLine();
        }

        md.AppendLine(c, $"Command: `{Command}`").AppendLine();
        if (Load is { } load)
        {
            md.AppendLine(c, $"Load: {load.Achieved:F3} (asked {load.Target:F2}): every data center's capacity x {load.CapacityScale:G4}, arrivals compressed {load.Speedup:G4}x.").AppendLine();
        }

        md.AppendLine(c, $"Citation: {Citation}").AppendLine();
        md.AppendLine("| Policy | Submitted | Rejected | Completed | Mean wait (s) | p95 wait (s) | Max wait (s) | Latency violations | Energy (kWh) | Carbon (kgCO2) | Cost (CNY) | West share | Loans | Jobs on loan | Loans per borrowed job | Carbon saved | Cost saved | Energy saved |");
        md.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var r in Rows)
        {
            md.AppendLine(c, $"| {r.Policy}{(r.TimedOut ? " (budget ran out)" : string.Empty)} | {r.Submitted} | {r.Rejected} | {r.Completed} | {r.MeanWaitS:F0} | {r.P95WaitS:F0} | {r.MaxWaitS:F0} | {r.LatencyViolations} | {r.EnergyKwh:N0} | {r.CarbonKg:N0} | {r.CostCny:N0} | {r.WestShare:P1} | {r.LoansMade} | {r.JobsOnLoan} | {r.LoansPerBorrowedJob?.ToString("F3", c) ?? "n/a"} | {Percent(r.CarbonSaving)} | {Percent(r.CostSaving)} | {Percent(r.EnergySaving)} |");
        }

        md.AppendLine().AppendLine(c, $"Wall time per policy (federation start included): {string.Join(", ", Rows.Select(r => string.Create(c, $"{r.Policy} {r.WallSeconds:F1} s")))}.");
        md.AppendLine().AppendLine("Mean / peak utilisation per hub (mean over the trace's span, peak among the samples):").AppendLine();
        var hubs = Rows.SelectMany(r => r.Utilisation.Keys).Distinct().Order(StringComparer.Ordinal).ToList();
        md.AppendLine("| Policy | " + string.Join(" | ", hubs) + " |");
        md.AppendLine("|---|" + string.Concat(hubs.Select(_ => "---:|")));
        foreach (var r in Rows)
        {
            md.AppendLine("| " + r.Policy + " | " + string.Join(" | ", hubs.Select(h => r.Utilisation[h].ToString("P2", c) + " / " + r.PeakUtilisation.GetValueOrDefault(h).ToString("P0", c))) + " |");
        }

        if (Comparison is { } comparison)
        {
            md.AppendLine().Append(comparison.ToMarkdown());
        }

        md.AppendLine();
        foreach (var chart in charts)
        {
            md.AppendLine(c, $"![{chart}]({chart})").AppendLine();
        }

        md.AppendLine("Assumptions:").AppendLine();
        foreach (var a in Assumptions)
        {
            md.AppendLine(c, $"- {a}");
        }

        return md.ToString();
    }

    private static string Percent(double? value) => value is { } v ? v.ToString("P1", CultureInfo.InvariantCulture) : "n/a";
}

/// <summary>What the reader made of the trace.</summary>
/// <param name="Format">The format.</param>
/// <param name="Jobs">Usable jobs.</param>
/// <param name="Malformed">Malformed lines.</param>
/// <param name="Unusable">Jobs with no run time or no processors.</param>
/// <param name="Truncated">The file ended mid-stream.</param>
/// <param name="Clamped">Jobs whose run time exceeds 30 days (replayed for 30 days).</param>
/// <param name="Cluster">The trace cluster's nodes and GPU models (Alibaba node list); null when the trace has none.</param>
public sealed record TraceSummary(string Format, int Jobs, int Malformed, int Unusable, bool Truncated, int Clamped, string? Cluster = null);
