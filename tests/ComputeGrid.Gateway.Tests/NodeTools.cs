using System.Diagnostics;

namespace ComputeGrid.Gateway.Tests;

/// <summary>Runs the npm tools of <c>tests/ComputeGrid.Gateway.Tests/node</c> (installed by <c>npm ci</c>; scripts/test.sh does it).</summary>
internal static class NodeTools
{
    /// <summary>The node folder in the source tree.</summary>
    public static string Folder { get; } = FindFolder();

    /// <summary>Runs <c>node_modules/.bin/<paramref name="tool"/></c> in the node folder; returns its exit code and output.</summary>
    public static async Task<(int ExitCode, string Output)> RunAsync(string tool, params string[] arguments)
    {
        var path = Path.Combine(Folder, "node_modules", ".bin", tool);
        Assert.True(File.Exists(path), $"{path} is missing: run scripts/test.sh, the README's test command (it runs 'npm ci' in {Folder}; node must be on PATH)");
        var start = new ProcessStartInfo(path) { WorkingDirectory = Folder, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{tool} did not finish within 3 minutes");
        }

        return (process.ExitCode, (await stdout) + (await stderr));
    }

    private static string FindFolder()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "tests", "ComputeGrid.Gateway.Tests", "node");
            if (File.Exists(Path.Combine(candidate, "package.json")))
            {
                return candidate;
            }
        }

        throw new DirectoryNotFoundException("tests/ComputeGrid.Gateway.Tests/node not found above the test assembly");
    }
}
