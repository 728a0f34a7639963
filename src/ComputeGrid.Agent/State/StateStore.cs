using System.Text.Json;
using ComputeGrid.Agent.Sync;
using ComputeGrid.Contracts.Agents;

namespace ComputeGrid.Agent.State;

/// <summary>A job this agent instance started, as the next instance must find it again.</summary>
/// <param name="JobId">The job.</param>
/// <param name="Pid">Its leader's pid.</param>
/// <param name="ProcessGroup">Its process group (= the leader's pid).</param>
/// <param name="StartTime">The leader's start time in clock ticks after boot, telling it from a later process with the same pid.</param>
internal sealed record JobRecord(string JobId, int Pid, int ProcessGroup, ulong StartTime);

/// <summary>What survives a restart: the jobs started and the reports not yet acknowledged, oldest first.</summary>
/// <param name="Jobs">Jobs with a process the agent started.</param>
/// <param name="Reports">Reports the data center has not acknowledged.</param>
internal sealed record AgentStateFile(IReadOnlyList<JobRecord> Jobs, IReadOnlyList<AgentJobReport> Reports)
{
    /// <summary>Nothing started, nothing to report.</summary>
    public static AgentStateFile Empty { get; } = new([], []);
}

/// <summary>The state file <c>agent-state.json</c> in the state directory, replaced atomically (write a temporary file, flush it to disk, rename).</summary>
internal sealed class StateStore(string stateDirectory)
{
    /// <summary>The file's name in the state directory.</summary>
    public const string FileName = "agent-state.json";

    /// <summary>The state file's path.</summary>
    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetFullPath(stateDirectory), FileName);

    /// <summary>The saved state, or <see cref="AgentStateFile.Empty"/> when there is none; throws <see cref="InvalidDataException"/> naming the file when it cannot be read.</summary>
    public AgentStateFile Load()
    {
        if (!File.Exists(Path))
        {
            return AgentStateFile.Empty;
        }

        try
        {
            return JsonSerializer.Deserialize<AgentStateFile>(File.ReadAllBytes(Path), AgentJson.Options) ?? AgentStateFile.Empty;
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"the state file {Path} is not valid ({e.Message}); move it away to start without it (its jobs' processes must then be killed by hand)", e);
        }
    }

    /// <summary>Replaces the saved state with <paramref name="state"/>; a crash leaves either the old file or the new one, never a mix.</summary>
    public void Save(AgentStateFile state)
    {
        var directory = System.IO.Path.GetDirectoryName(Path)!;
        Directory.CreateDirectory(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var temporary = Path + ".tmp";
        using (var file = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            JsonSerializer.Serialize(file, state, AgentJson.Options);
            file.Flush(flushToDisk: true);
        }

        File.Move(temporary, Path, overwrite: true);
    }
}
