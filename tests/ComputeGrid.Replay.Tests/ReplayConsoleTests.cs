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
        Assert.All(lines, line => Assert.Equal(14, line.Count(c => c == '|')));
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
    public void Loans_per_borrowed_job_is_loans_opened_over_jobs_placed_on_loans_in_the_console_and_the_report()
    {
        using var output = new StringWriter();
        var row = Row("greenest");
        var none = Row("nearest") with { LoansMade = 0, JobsOnLoan = 0 };

        ReplayConsole.Write(ReplayConsole.Create(output, redirected: true), ReplayConsole.PolicyTable([row, none]), redirected: true);

        Assert.Equal(12345.0 / 23456, row.LoansPerBorrowedJob);
        Assert.Null(none.LoansPerBorrowedJob);
        var lines = output.ToString().Split(Environment.NewLine);
        Assert.Contains("| Loans/borrowed job ", lines[0], StringComparison.Ordinal);
        Assert.Contains("| 0.526 ", lines[2], StringComparison.Ordinal);
        Assert.Contains("| n/a ", lines[3], StringComparison.Ordinal);
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
