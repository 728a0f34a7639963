using System.ComponentModel;
using System.Diagnostics;
using ComputeGrid.Agent.Configuration;
using ComputeGrid.Contracts.Agents;
using ComputeGrid.Domain.Jobs;
using Microsoft.Extensions.Logging;

namespace ComputeGrid.Agent.Running;

/// <summary>
/// Starts a job as a local process: no shell, a minimal environment, its own directory, its own session and process
/// group, and the job user.
/// </summary>
/// <remarks>
/// .NET's <see cref="Process"/> has no hook to run code in the child between fork and exec, and calling setsid() after
/// the start would race with a job that forks at once. So the job is started through util-linux <c>setsid</c>, which
/// calls setsid() and then execs (it forks only when already a group leader, which a child of the agent never is): the
/// pid the agent gets is the job's own, and its session and group id, before any job code runs. When the agent is root
/// it then execs <c>setpriv</c>, which drops to the job user (with its groups, no capabilities, no new privileges)
/// and execs the job. Last, coreutils <c>env --default-signal</c> restores every signal's default disposition: .NET
/// ignores SIGPIPE, an ignored signal survives exec, and a job's pipelines (<c>yes | head</c>) must end as they do in a shell.
/// </remarks>
internal sealed partial class JobRunner
{
    private readonly AgentOptions _options;
    private readonly JobUser _user;
    private readonly JobDirectories _directories;
    private readonly TimeProvider _time;
    private readonly ILogger<JobRunner> _logger;
    private readonly string _setsid;
    private readonly string? _setpriv;
    private readonly string _env;

    /// <summary>A runner for <paramref name="user"/>; throws when <c>setsid</c> (or, to change user, <c>setpriv</c>) is not on PATH.</summary>
    public JobRunner(AgentOptions options, JobUser user, JobDirectories directories, TimeProvider time, ILogger<JobRunner> logger)
    {
        _options = options;
        _user = user;
        _directories = directories;
        _time = time;
        _logger = logger;
        if (MissingTool(user) is { } missing)
        {
            throw new InvalidOperationException(missing);
        }

        _setsid = FindOnPath("setsid")!;
        _setpriv = user.Switch ? FindOnPath("setpriv") : null;
        _env = FindOnPath("env")!;
    }

    /// <summary>What is missing to start jobs for <paramref name="user"/> (setsid, setpriv to change user, env with --default-signal), or null.</summary>
    public static string? MissingTool(JobUser user)
    {
        if (FindOnPath("setsid") is null)
        {
            return "setsid (util-linux) is not on PATH";
        }

        if (user.Switch && FindOnPath("setpriv") is null)
        {
            return $"setpriv (util-linux) is not on PATH; it is needed to run jobs as '{user.Name}'";
        }

        if (FindOnPath("env") is not { } env)
        {
            return "env (coreutils) is not on PATH";
        }

        try
        {
            using var probe = Process.Start(new ProcessStartInfo(env) { ArgumentList = { "--default-signal", "--", "true" }, RedirectStandardError = true })!;
            probe.StandardError.ReadToEnd();
            probe.WaitForExit();
            return probe.ExitCode == 0 ? null : "env on PATH does not support --default-signal (coreutils 8.31 or later is needed)";
        }
        catch (Win32Exception e)
        {
            return $"env on PATH cannot run: {e.Message}";
        }
    }

    /// <summary>The agent's PATH, which jobs get too and bare executable names are looked up on.</summary>
    public static string AgentPath => Environment.GetEnvironmentVariable("PATH") is { Length: > 0 } path ? path : "/usr/local/bin:/usr/bin:/bin";

    /// <summary>Starts <paramref name="assignment"/>; throws <see cref="JobRejectedException"/> with the reason when it cannot.</summary>
    public RunningJob Start(AgentAssignment assignment)
    {
        var command = assignment.Command ?? throw new JobRejectedException("the assignment has no command");
        var errors = JobCommand.Validate(command);
        if (errors.Count > 0)
        {
            throw new JobRejectedException("invalid command: " + string.Join("; ", errors.Select(e => $"{e.Field} {e.Reason}")));
        }

        if (assignment.WallTime <= TimeSpan.Zero)
        {
            throw new JobRejectedException($"wall-time limit {assignment.WallTime:c} is not positive");
        }

        var (jobDirectory, workingDirectory) = _directories.Create(assignment.JobId, command.WorkingDirectory);
        var executable = ResolveExecutable(command.Executable, workingDirectory);
        var start = new ProcessStartInfo(_setsid)
        {
            WorkingDirectory = workingDirectory,
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.ArgumentList.Add("--");
        if (_setpriv is not null)
        {
            start.ArgumentList.Add(_setpriv);
            start.ArgumentList.Add($"--reuid={_user.Uid}");
            start.ArgumentList.Add($"--regid={_user.Gid}");
            start.ArgumentList.Add("--init-groups");
            start.ArgumentList.Add("--bounding-set=-all");
            start.ArgumentList.Add("--no-new-privs");
            start.ArgumentList.Add("--");
        }

        start.ArgumentList.Add(_env);
        start.ArgumentList.Add("--default-signal");
        start.ArgumentList.Add("--");
        start.ArgumentList.Add(executable);
        foreach (var argument in command.Arguments ?? [])
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment.Clear();
        start.Environment["PATH"] = AgentPath;
        start.Environment["HOME"] = jobDirectory;
        start.Environment["LANG"] = Environment.GetEnvironmentVariable("LANG") ?? "C.UTF-8";
        start.Environment["USER"] = _user.Name;
        foreach (var (name, value) in command.Environment ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }

        start.Environment["CG_JOB_ID"] = assignment.JobId;
        start.Environment["CG_TENANT"] = assignment.Tenant;

        Process process;
        try
        {
            process = Process.Start(start) ?? throw new JobRejectedException("the process did not start");
        }
        catch (Win32Exception e)
        {
            _directories.Remove(assignment.JobId);
            throw new JobRejectedException($"could not start '{executable}': {e.Message}");
        }

        process.StandardInput.Close();
        var job = new RunningJob(assignment.JobId, assignment.Tenant, process, ProcStat.Read(process.Id), new OutputTail(_options.OutputTailBytes), assignment.WallTime, _time);
        LogStarted(assignment.JobId, assignment.Tenant, job.Pid, _user.Name, executable);
        return job;
    }

    /// <summary>A path as it is (relative ones from the working directory), a bare name from the agent's PATH.</summary>
    private static string ResolveExecutable(string executable, string workingDirectory)
    {
        if (executable.Contains('/', StringComparison.Ordinal))
        {
            var path = Path.GetFullPath(executable, workingDirectory);
            return File.Exists(path) ? path : throw new JobRejectedException($"executable '{executable}' not found");
        }

        return FindOnPath(executable) ?? throw new JobRejectedException($"executable '{executable}' not found on PATH");
    }

    private static string? FindOnPath(string name) =>
        AgentPath.Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(directory => Path.Combine(directory, name))
            .FirstOrDefault(path => File.Exists(path) && (File.GetUnixFileMode(path) & (UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute)) != 0);

    [LoggerMessage(Level = LogLevel.Information, Message = "Started job {JobId} of tenant {Tenant}: pid {Pid} as {User}, {Executable}")]
    private partial void LogStarted(string jobId, string tenant, int pid, string user, string executable);
}
