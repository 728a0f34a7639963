using ComputeGrid.Replay.Reports;
using Spectre.Console;

namespace ComputeGrid.Replay.Tests;

public sealed class ReplayConsoleTests
{
    private static readonly string[] Policies = ["origin-only", "nearest", "round-robin", "greenest", "cheapest", "inner-mongolia-first (budget)"];

    [Fact]
    public void Redirected_output_prints_each_policy_as_one_table_row_with_every_column_and_no_escape_codes()
    {
        using var output = new StringWriter();
        var console = ReplayConsole.Create(output, redirected: true);

        ReplayConsole.Write(console, ReplayConsole.PolicyTable(Policies.Select(Row)), redirected: true);

        var lines = output.ToString().Split(Environment.NewLine).SkipLast(1).ToList();
        Assert.Equal(2 + Policies.Length, lines.Count);
        Assert.All(lines, line => Assert.Equal(13, line.Count(c => c == '|')));
        Assert.StartsWith("| Policy ", lines[0], StringComparison.Ordinal);
        foreach (var (policy, line) in Policies.Zip(lines.Skip(2)))
        {
            Assert.StartsWith($"| {policy}", line, StringComparison.Ordinal);
            Assert.Contains("| 123,457 ", line, StringComparison.Ordinal);
            Assert.Contains("| 45.7 % ", line, StringComparison.Ordinal);
        }

        Assert.DoesNotContain('\u001b', output.ToString());
    }

    [Fact]
    public void Redirected_output_keeps_a_long_sentence_on_one_line()
    {
        using var output = new StringWriter();
        var console = ReplayConsole.Create(output, redirected: true);
        var citation = string.Join(' ', Enumerable.Repeat("Parallel Workloads Archive, log [KTH-SP2]:", 20));

        console.MarkupLineInterpolated($"[grey]Citation: {citation}[/]");

        Assert.Equal($"Citation: {citation}{Environment.NewLine}", output.ToString());
    }

    private static PolicyRow Row(string policy) => new(
        policy.Replace(" (budget)", string.Empty, StringComparison.Ordinal), 28476, 0, 28467, 1234.4, 98765.2, 0, 123456.7, 98765.4, 87654.3, 123456.7, 0.9876,
        new Dictionary<string, double> { ["guizhou"] = 0.5 }, 12345, 23456, 0.4567, 0.3456, 0.0123, policy.EndsWith("(budget)", StringComparison.Ordinal), 123.4);
}
