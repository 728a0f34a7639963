using System.Text.RegularExpressions;
using Spectre.Console.Testing;

namespace ComputeGrid.Ops.Tests;

/// <summary>The operations guide's cg-ops table against the commands cg-ops has.</summary>
public sealed partial class OpsDocsTests
{
    [Fact]
    public async Task Every_cg_ops_command_has_a_row_in_the_operations_guides_command_table()
    {
        var console = new TestConsole().Width(250);
        await OpsCli.RunAsync(["--help"], console, handler: null, CancellationToken.None);
        var commands = console.Output.Split('\n')
            .SkipWhile(l => !l.StartsWith("Commands:", StringComparison.Ordinal)).Skip(1)
            .Select(l => CommandName().Match(l)).Where(m => m.Success).Select(m => m.Groups[1].Value).ToList();
        var guide = File.ReadAllText(Path.Combine(RepositoryRoot(), "docs", "operations.md"));

        Assert.Contains("catalog", commands);
        Assert.All(commands, c => Assert.Contains($"| `cg-ops {c}", guide, StringComparison.Ordinal));
    }

    private static string RepositoryRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "ComputeGrid.sln")))
        {
            directory = directory.Parent;
        }

        return directory?.FullName ?? throw new InvalidOperationException($"no ComputeGrid.sln above {AppContext.BaseDirectory}");
    }

    [GeneratedRegex(@"^  ([a-z][a-z-]*)\b")]
    private static partial Regex CommandName();
}
