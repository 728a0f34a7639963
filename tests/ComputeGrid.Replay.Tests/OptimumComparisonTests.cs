using ComputeGrid.Replay.Optimum;
using ComputeGrid.Replay.Reports;

namespace ComputeGrid.Replay.Tests;

/// <summary>carbon_vs_optimum, p95_wait_ratio and the closing line.</summary>
public sealed class OptimumComparisonTests
{
    private static OptimumResult Optimum(double carbon, double cost) =>
        new(4, 2, 0, 1, 10, 10, 0, TimeSpan.Zero, new OptimumBound(OptimumObjective.Carbon, true, carbon, TimeSpan.Zero), new OptimumBound(OptimumObjective.Cost, true, cost, TimeSpan.Zero));

    private static PolicyRow Row(string policy, double carbon, double cost, double p95, int violations = 0) =>
        new(policy, 4, 0, 4, p95 / 2, p95, violations, 10, carbon, cost, 10, 0.5, new Dictionary<string, double>(), 0, 0, null, null, null, false, 1);

    [Fact]
    public void The_share_of_the_optimums_saving_is_one_at_the_optimum_zero_at_the_baseline_and_negative_above_it()
    {
        Assert.Equal(1, OptimumComparison(100, 40, 40));
        Assert.Equal(0, OptimumComparison(100, 100, 40));
        Assert.Equal(0.5, OptimumComparison(100, 70, 40));
        Assert.Equal(-0.5, OptimumComparison(100, 130, 40));
    }

    [Fact]
    public void When_the_optimum_equals_the_baseline_there_is_no_saving_to_share_and_the_ratio_is_undefined()
    {
        Assert.Null(LoadComparison.VsOptimum(100, 100, 100));
        Assert.Null(LoadComparison.VsOptimum(100, 90, 100 + 1e-12));
        Assert.Null(LoadComparison.VsOptimum(0, 0, 0));
    }

    [Fact]
    public void A_p95_wait_ratio_over_a_baseline_that_never_waits_is_one_without_waiting_and_infinite_with()
    {
        Assert.Equal(1, LoadComparison.WaitRatio(0, 0));
        Assert.True(double.IsPositiveInfinity(LoadComparison.WaitRatio(5, 0)));
        Assert.Equal(1.6, LoadComparison.WaitRatio(16, 10), 9);
    }

    [Fact]
    public void The_best_policy_has_the_highest_carbon_share_among_those_without_violations_and_at_most_twice_the_baseline_p95_wait()
    {
        var rows = new[]
        {
            Row("nearest", 100, 100, 10),
            Row("greenest", 46, 80, 16),
            Row("balanced", 40, 70, 30),
            Row("cheapest", 35, 60, 10, violations: 1),
        };

        var comparison = LoadComparison.Build("kth", 0.9, Optimum(40, 50), rows);

        Assert.Equal("kth load=0.9 best=greenest carbon_vs_optimum=0.90 p95_wait_ratio=1.6", comparison.Line());
        Assert.Equal(0.4, comparison.Rows.Single(r => r.Policy == "greenest").CostVsOptimum!.Value, 9);
    }

    [Fact]
    public void A_policy_that_rejected_or_left_jobs_unfinished_is_never_best_however_little_carbon_it_counts()
    {
        var rows = new[]
        {
            Row("nearest", 100, 100, 10),
            Row("origin-only", 20, 20, 10) with { Rejected = 1, Completed = 3 },
            Row("greenest", 70, 80, 10) with { TimedOut = true },
            Row("cheapest", 80, 60, 10),
        };

        var comparison = LoadComparison.Build("kth", 0.6, Optimum(40, 50), rows);

        Assert.Equal("kth load=0.6 best=cheapest carbon_vs_optimum=0.33 p95_wait_ratio=1.0", comparison.Line());
        Assert.False(comparison.Rows.Single(r => r.Policy == "origin-only").Complete);
    }

    [Fact]
    public void When_the_optimum_equals_the_baseline_the_line_says_so_and_names_no_best()
    {
        var comparison = LoadComparison.Build("openb", 0.3, Optimum(100, 100), [Row("nearest", 100, 100, 0), Row("greenest", 100, 100, 0)]);

        Assert.Equal("openb load=0.3 best=none (the baseline is already optimal)", comparison.Line());
        Assert.All(comparison.Rows, r => Assert.Null(r.CarbonVsOptimum));
    }

    private static double OptimumComparison(double baseline, double policy, double optimum) => LoadComparison.VsOptimum(baseline, policy, optimum)!.Value;
}
