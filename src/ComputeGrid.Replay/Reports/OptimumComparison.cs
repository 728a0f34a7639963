using System.Globalization;
using System.Text;
using ComputeGrid.Replay.Mapping;
using ComputeGrid.Replay.Optimum;
using Spectre.Console;

namespace ComputeGrid.Replay.Reports;

/// <summary>One policy measured against the baseline (<c>nearest</c>) and the offline optimum.</summary>
/// <param name="Policy">The policy.</param>
/// <param name="CarbonVsOptimum">(baseline carbon - policy carbon) / (baseline carbon - optimum carbon); null when undefined.</param>
/// <param name="CostVsOptimum">The same for cost.</param>
/// <param name="P95WaitRatio">Policy p95 wait / baseline p95 wait (1 when both are 0, infinity when only the baseline's is 0).</param>
/// <param name="MeanWaitS">The policy's mean wait, s.</param>
/// <param name="P95WaitS">The policy's p95 wait, s.</param>
/// <param name="LatencyViolations">Jobs it ran beyond their latency class.</param>
/// <param name="Complete">True when every submitted job ran to its end within the wall-clock budget: none rejected, none left waiting (otherwise its totals are short).</param>
public sealed record ComparisonRow(string Policy, double? CarbonVsOptimum, double? CostVsOptimum, double P95WaitRatio, double MeanWaitS, double P95WaitS, int LatencyViolations, bool Complete);

/// <summary>The policies of one trace at one load against the baseline and the optimum.</summary>
/// <param name="Trace">The trace's short name (<c>kth</c>, <c>openb</c>).</param>
/// <param name="Load">The load replayed (achieved, after rounding).</param>
/// <param name="Optimum">The LP's bounds; null when not computed.</param>
/// <param name="BaselineCarbonKg">The baseline's carbon; null without a baseline.</param>
/// <param name="BaselineCostCny">The baseline's cost; null without a baseline.</param>
/// <param name="Rows">One row per policy; empty without a baseline.</param>
public sealed record LoadComparison(string Trace, double Load, OptimumResult? Optimum, double? BaselineCarbonKg, double? BaselineCostCny, IReadOnlyList<ComparisonRow> Rows)
{
    /// <summary>The largest p95 wait ratio the best policy may have.</summary>
    public const double MaxP95WaitRatio = 2.0;

    /// <summary>The baseline every saving is measured against.</summary>
    public const ReplayPolicy Baseline = ReplayPolicy.Nearest;

    /// <summary>
    /// Compares every policy row with the baseline's row and the optimum; no rows when the baseline did not run, ratios
    /// null when the optimum is unknown or infeasible.
    /// </summary>
    public static LoadComparison Build(string trace, double load, OptimumResult? optimum, IReadOnlyList<PolicyRow> rows)
    {
        var baseline = rows.FirstOrDefault(r => r.Policy == Baseline.Name());
        if (baseline is null)
        {
            return new LoadComparison(trace, load, optimum, null, null, []);
        }

        double? carbon = optimum?.Carbon is { Feasible: true } c ? c.Value : null;
        double? cost = optimum?.Cost is { Feasible: true } k ? k.Value : null;
        return new LoadComparison(trace, load, optimum, baseline.CarbonKg, baseline.CostCny, [.. rows.Select(r => new ComparisonRow(
            r.Policy,
            carbon is { } oc ? VsOptimum(baseline.CarbonKg, r.CarbonKg, oc) : null,
            cost is { } ok ? VsOptimum(baseline.CostCny, r.CostCny, ok) : null,
            WaitRatio(r.P95WaitS, baseline.P95WaitS),
            r.MeanWaitS,
            r.P95WaitS,
            r.LatencyViolations,
            !r.TimedOut && r.Completed == r.Submitted))]);
    }

    /// <summary>
    /// The share of the optimum's saving a policy reaches: (baseline - policy) / (baseline - optimum). 1 is optimal, 0 no
    /// better than the baseline, negative worse. Null when the optimum saves nothing against the baseline (relatively less
    /// than 1e-9): the baseline is already optimal and there is no saving to share.
    /// </summary>
    public static double? VsOptimum(double baseline, double policy, double optimum)
    {
        var room = baseline - optimum;
        return room <= 1e-9 * Math.Max(1, Math.Abs(baseline)) ? null : (baseline - policy) / room;
    }

    /// <summary>Policy p95 wait / baseline p95 wait: 1 when both are 0, infinity when only the baseline's is 0.</summary>
    public static double WaitRatio(double policyP95, double baselineP95) =>
        baselineP95 > 0 ? policyP95 / baselineP95 : policyP95 > 0 ? double.PositiveInfinity : 1;

    /// <summary>
    /// The policy with the highest carbon_vs_optimum among those that completed every submitted job with no latency-class violation
    /// and a p95 wait ratio of at most <see cref="MaxP95WaitRatio"/>; null when none qualifies.
    /// </summary>
    public ComparisonRow? Best() => Rows
        .Where(r => r.Complete && r.LatencyViolations == 0 && r.P95WaitRatio <= MaxP95WaitRatio && r.CarbonVsOptimum is not null)
        .OrderByDescending(r => r.CarbonVsOptimum)
        .FirstOrDefault();

    /// <summary>The closing line: <c>kth load=0.9 best=greenest carbon_vs_optimum=0.93 p95_wait_ratio=1.6</c>, or best=none with the reason.</summary>
    public string Line()
    {
        var c = CultureInfo.InvariantCulture;
        var head = string.Create(c, $"{Trace} load={Format(Load)}");
        if (Rows.Count == 0)
        {
            return $"{head} best=none (the baseline {Baseline.Name()} did not run)";
        }

        if (Optimum is null || !Optimum.Carbon.Feasible)
        {
            return $"{head} best=none (no optimum{(Optimum is null ? string.Empty : ": infeasible within the wait bound")})";
        }

        return Best() is { } best
            ? string.Create(c, $"{head} best={best.Policy} carbon_vs_optimum={best.CarbonVsOptimum:F2} p95_wait_ratio={Format(best.P95WaitRatio)}")
            : Rows.All(r => r.CarbonVsOptimum is null)
                ? $"{head} best=none (the baseline is already optimal)"
                : $"{head} best=none (no policy completed every job with zero latency violations and p95_wait_ratio <= {MaxP95WaitRatio.ToString("F1", c)})";
    }

    /// <summary>The comparison as a table, one row per policy.</summary>
    public Table ToTable()
    {
        var table = new Table().AddColumns("Policy", "carbon_vs_optimum", "cost_vs_optimum", "p95_wait_ratio", "Mean wait s", "p95 wait s", "Latency viol.", "Complete");
        var c = CultureInfo.InvariantCulture;
        foreach (var r in Rows)
        {
            table.AddRow(
                Markup.Escape(r.Policy), Ratio(r.CarbonVsOptimum), Ratio(r.CostVsOptimum), Format(r.P95WaitRatio), r.MeanWaitS.ToString("F0", c), r.P95WaitS.ToString("F0", c),
                r.LatencyViolations.ToString(c), r.Complete ? "yes" : "no");
        }

        return table;
    }

    /// <summary>The comparison as Markdown: the optimum, then the table.</summary>
    public string ToMarkdown()
    {
        var c = CultureInfo.InvariantCulture;
        var md = new StringBuilder();
        md.AppendLine(c, $"## Against the offline optimum (load {Format(Load)})").AppendLine();
        if (Optimum is { } o)
        {
            md.AppendLine(c, $"Optimum: carbon >= {Bound(o.Carbon)} kgCO2, cost >= {Bound(o.Cost)} CNY; {o.Describe()}.").AppendLine();
        }

        if (BaselineCarbonKg is { } bc && BaselineCostCny is { } bk)
        {
            md.AppendLine(c, $"Baseline {Baseline.Name()}: {bc:N1} kgCO2, {bk:N1} CNY.").AppendLine();
        }

        md.AppendLine("| Policy | carbon_vs_optimum | cost_vs_optimum | p95_wait_ratio | Mean wait (s) | p95 wait (s) | Latency violations | Complete |");
        md.AppendLine("|---|---:|---:|---:|---:|---:|---:|---|");
        foreach (var r in Rows)
        {
            md.AppendLine(c, $"| {r.Policy} | {Ratio(r.CarbonVsOptimum)} | {Ratio(r.CostVsOptimum)} | {Format(r.P95WaitRatio)} | {r.MeanWaitS:F0} | {r.P95WaitS:F0} | {r.LatencyViolations} | {(r.Complete ? "yes" : "no")} |");
        }

        return md.AppendLine().AppendLine(Line()).ToString();
    }

    private static string Bound(OptimumBound bound) => bound.Feasible ? bound.Value.ToString("N1", CultureInfo.InvariantCulture) : "infeasible";

    private static string Ratio(double? value) => value is { } v ? v.ToString("F2", CultureInfo.InvariantCulture) : "n/a";

    private static string Format(double value) => double.IsPositiveInfinity(value) ? "inf" : value.ToString(value >= 0.1 || value == 0 ? "0.0##" : "0.####", CultureInfo.InvariantCulture);
}
