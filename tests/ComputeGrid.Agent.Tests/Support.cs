using System.Runtime.Versioning;
using ComputeGrid.Agent.Configuration;
using ComputeGrid.Agent.Running;
using ComputeGrid.Contracts.Agents;
using ComputeGrid.Domain.Jobs;
using Microsoft.Extensions.Logging.Abstractions;

[assembly: SupportedOSPlatform("linux")]

namespace ComputeGrid.Agent.Tests;

/// <summary>Polling with a deadline instead of sleeping.</summary>
internal static class Eventually
{
    public static async Task TrueAsync(Func<bool> condition, string what, TimeSpan? within = null)
    {
        var deadline = DateTime.UtcNow + (within ?? TimeSpan.FromSeconds(15));
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"not within {within ?? TimeSpan.FromSeconds(15)}: {what}");
            }

            await Task.Delay(20);
        }
    }
}

/// <summary>A state directory and work root under /tmp that the job user (nobody) may pass through; removed on dispose.</summary>
internal sealed class TestDirectory : IDisposable
{
    public TestDirectory()
    {
        Root = Path.Combine(Path.GetTempPath(), "cg-agent-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Root);
        const UnixFileMode open = (UnixFileMode)0b111_101_101; // 0755
        File.SetUnixFileMode(Path.GetDirectoryName(Root)!, open);
        File.SetUnixFileMode(Root, open);
    }

    public string Root { get; }

    public string State => Path.Combine(Root, "state");

    public string Work => Path.Combine(Root, "work");

    public void Dispose()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
            // A job's leftovers: /tmp is cleaned eventually.
        }
    }
}

/// <summary>Builds options, runners and assignments for tests.</summary>
internal static class Agents
{
    public static AgentOptions Options(TestDirectory directory, Uri? gateway = null) => new()
    {
        Gateway = gateway ?? new Uri("http://127.0.0.1:9"),
        Credential = FakeGateway.Credential,
        StateDirectory = directory.State,
        WorkRoot = directory.Work,
        InitialSyncInterval = TimeSpan.FromMilliseconds(100),
        MaxRetryDelay = TimeSpan.FromMilliseconds(200),
        UnauthorizedRetryDelay = TimeSpan.FromMilliseconds(200),
        RequestTimeout = TimeSpan.FromSeconds(10),
    };

    public static JobRunner Runner(AgentOptions options)
    {
        var user = JobUser.Resolve(options, out var error);
        Assert.Null(error);
        return new JobRunner(options, user, new JobDirectories(options.WorkRoot, user), TimeProvider.System, NullLogger<JobRunner>.Instance);
    }

    public static AgentAssignment Shell(string jobId, string script, TimeSpan? wallTime = null, string tenant = "acme", string? workingDirectory = null) =>
        new(jobId, tenant, new JobCommand("sh", ["-c", script], new Dictionary<string, string>(), workingDirectory), wallTime ?? TimeSpan.FromMinutes(5));
}

/// <summary>What /proc says about live processes (zombies excluded: they run nothing).</summary>
internal static class Processes
{
    /// <summary>Live processes whose process group is <paramref name="processGroup"/>.</summary>
    public static List<int> InGroup(int processGroup) =>
        [.. Live().Where(p => p.Stat.ProcessGroup == processGroup).Select(p => p.Pid)];

    /// <summary>Live processes whose environment names <paramref name="jobId"/> as CG_JOB_ID.</summary>
    public static List<int> OfJob(string jobId) =>
        [.. Live().Where(p => Environ(p.Pid).Contains($"\0CG_JOB_ID={jobId}\0", StringComparison.Ordinal)).Select(p => p.Pid)];

    private static IEnumerable<(int Pid, ProcStat Stat)> Live()
    {
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(directory), out var pid))
            {
                continue;
            }

            string text;
            try
            {
                text = File.ReadAllText(Path.Combine(directory, "stat"));
            }
            catch (IOException)
            {
                continue;
            }

            var state = text[(text.LastIndexOf(')') + 2)..].Split(' ')[0];
            if (state != "Z" && ProcStat.Parse(text) is { } stat)
            {
                yield return (pid, stat);
            }
        }
    }

    private static string Environ(int pid)
    {
        try
        {
            return "\0" + File.ReadAllText($"/proc/{pid}/environ");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return string.Empty;
        }
    }
}
