using System.Diagnostics;

namespace ComputeGrid.Ops.Tests;

/// <summary>
/// The /ops page's vendor bundle (src/ComputeGrid.Gateway/Ops/Page/vendor.js and vendor.css) is committed, so the silo
/// runs with the .NET SDK alone; it must be what tools/ops-page/build.mjs makes from the versions its package-lock.json
/// pins (scripts/test.sh runs npm ci there).
/// </summary>
public sealed class OpsAssetsTests
{
    [Fact]
    public async Task The_committed_vendor_bundle_is_what_the_build_makes_from_the_package_lock()
    {
        var folder = Path.Combine(OpsPageTests.RepositoryRoot(), "tools", "ops-page");
        Assert.True(
            Directory.Exists(Path.Combine(folder, "node_modules", "d3-geo")),
            $"tools/ops-page is not installed: run scripts/test.sh, the README's test command (it runs 'npm ci' in {folder})");
        var start = new ProcessStartInfo("node") { WorkingDirectory = folder, RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add("build.mjs");
        start.ArgumentList.Add("--check");
        using var process = Process.Start(start)!;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        var output = process.StandardOutput.ReadToEndAsync(timeout.Token);
        var errors = process.StandardError.ReadToEndAsync(timeout.Token);
        await process.WaitForExitAsync(timeout.Token);

        Assert.True(process.ExitCode == 0, $"{await output}{await errors}");
        Assert.Contains("up to date", await output, StringComparison.Ordinal);
    }
}
