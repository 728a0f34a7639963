using ComputeGrid.Agent.Running;

namespace ComputeGrid.Agent.Tests;

/// <summary>The process runner with real processes.</summary>
public sealed class JobRunnerTests : IDisposable
{
    private readonly TestDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task A_job_that_exits_0_reports_0_and_its_output()
    {
        var job = Agents.Runner(Agents.Options(_directory)).Start(Agents.Shell("acme.hi", "echo hi; exit 0"));

        var exit = await job.Exit.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(0, exit.ExitCode);
        Assert.Equal("hi\n", exit.OutputTail);
        Assert.False(exit.TimedOut);
    }

    [Fact]
    public async Task A_job_that_exits_3_reports_3()
    {
        var job = Agents.Runner(Agents.Options(_directory)).Start(Agents.Shell("acme.three", "exit 3"));

        Assert.Equal(3, (await job.Exit.WaitAsync(TimeSpan.FromSeconds(10))).ExitCode);
    }

    [Fact]
    public async Task Stderr_is_kept_with_stdout()
    {
        var job = Agents.Runner(Agents.Options(_directory)).Start(Agents.Shell("acme.stderr", "echo oops >&2; exit 1"));

        Assert.Equal("oops\n", (await job.Exit.WaitAsync(TimeSpan.FromSeconds(10))).OutputTail);
    }

    [Fact]
    public async Task Killing_a_job_kills_its_whole_process_tree()
    {
        var job = Agents.Runner(Agents.Options(_directory)).Start(Agents.Shell("acme.tree", "sleep 600 & sleep 600; wait"));
        await Eventually.TrueAsync(() => Processes.InGroup(job.ProcessGroup).Count >= 3, "sh and both sleeps run in the job's group");

        job.Kill("cancelled");
        var exit = await job.Exit.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(137, exit.ExitCode);
        Assert.Equal("cancelled", exit.KillReason);
        await Eventually.TrueAsync(() => Processes.InGroup(job.ProcessGroup).Count == 0, "no process of the job's group is left");
    }

    [Fact]
    public async Task A_job_runs_in_its_own_session_and_process_group()
    {
        var job = Agents.Runner(Agents.Options(_directory)).Start(Agents.Shell("acme.session", "echo $$ $(cut -d' ' -f5,6 /proc/$$/stat)"));

        var fields = (await job.Exit.WaitAsync(TimeSpan.FromSeconds(10))).OutputTail.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

        Assert.Equal([job.Pid.ToString(), job.Pid.ToString(), job.Pid.ToString()], fields);
    }

    [Fact]
    public async Task The_wall_time_limit_kills_the_tree_and_reports_timed_out_with_137()
    {
        var job = Agents.Runner(Agents.Options(_directory)).Start(Agents.Shell("acme.slow", "sleep 600 & wait", TimeSpan.FromMilliseconds(300)));

        var exit = await job.Exit.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.True(exit.TimedOut);
        Assert.Equal(137, exit.ExitCode);
        await Eventually.TrueAsync(() => Processes.InGroup(job.ProcessGroup).Count == 0, "the background sleep died with the job");
    }

    [Fact]
    public async Task An_output_flood_keeps_only_the_last_bytes()
    {
        var job = Agents.Runner(Agents.Options(_directory)).Start(Agents.Shell("acme.flood", "yes | head -c 10000000; echo END"));

        var tail = (await job.Exit.WaitAsync(TimeSpan.FromSeconds(30))).OutputTail;

        Assert.Equal(4096, System.Text.Encoding.UTF8.GetByteCount(tail));
        Assert.EndsWith("y\ny\nEND\n", tail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task When_the_agent_is_root_jobs_run_as_nobody_without_capabilities()
    {
        var job = Agents.Runner(Agents.Options(_directory)).Start(Agents.Shell("acme.who", "id -un; grep -E '^(CapEff|NoNewPrivs)' /proc/self/status | tr -s '\\t' ' '"));

        var output = (await job.Exit.WaitAsync(TimeSpan.FromSeconds(10))).OutputTail;

        if (Native.EffectiveUserId == 0)
        {
            Assert.Equal("nobody\nCapEff: 0000000000000000\nNoNewPrivs: 1\n", output);
        }
        else
        {
            Assert.StartsWith(Environment.UserName + "\n", output, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task A_job_sees_only_the_minimal_environment_and_its_own_directory()
    {
        Environment.SetEnvironmentVariable("CG_AGENT_TEST_SECRET", "do-not-leak");
        var assignment = Agents.Shell("acme.env", "env | sort; pwd", workingDirectory: "data/in") with { };
        assignment = assignment with { Command = assignment.Command with { Environment = new Dictionary<string, string> { ["MODE"] = "fast", ["CG_JOB_ID"] = "forged" } } };
        var job = Agents.Runner(Agents.Options(_directory)).Start(assignment);

        var lines = (await job.Exit.WaitAsync(TimeSpan.FromSeconds(10))).OutputTail.Split('\n', StringSplitOptions.RemoveEmptyEntries);

        var home = Path.Combine(_directory.Work, "acme.env");
        Assert.Contains("CG_JOB_ID=acme.env", lines);
        Assert.Contains("CG_TENANT=acme", lines);
        Assert.Contains("MODE=fast", lines);
        Assert.Contains($"HOME={home}", lines);
        Assert.Equal(Path.Combine(home, "data", "in"), lines[^1]);
        Assert.DoesNotContain(lines, l => l.StartsWith("CG_AGENT_TEST_SECRET", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("../escape")]
    [InlineData("/etc")]
    [InlineData("a/../../escape")]
    public void A_working_directory_outside_the_job_directory_is_rejected(string workingDirectory)
    {
        var runner = Agents.Runner(Agents.Options(_directory));

        var rejected = Assert.Throws<JobRejectedException>(() => runner.Start(Agents.Shell("acme.escape", "true", workingDirectory: workingDirectory)));

        Assert.Contains("workingDirectory", rejected.Message, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(_directory.Root, "escape")));
    }

    [Fact]
    public void The_job_directory_itself_refuses_a_working_directory_that_climbs_out()
    {
        var options = Agents.Options(_directory);
        var directories = new JobDirectories(options.WorkRoot, JobUser.Resolve(options, out _));

        var rejected = Assert.Throws<JobRejectedException>(() => directories.Create("acme.climb", "../../escape"));

        Assert.Contains("outside the job's directory", rejected.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_missing_executable_is_rejected_with_its_name()
    {
        var runner = Agents.Runner(Agents.Options(_directory));
        var assignment = Agents.Shell("acme.missing", "true");

        var rejected = Assert.Throws<JobRejectedException>(() => runner.Start(assignment with { Command = assignment.Command with { Executable = "no-such-program-cg" } }));

        Assert.Contains("'no-such-program-cg' not found", rejected.Message, StringComparison.Ordinal);
    }
}
