using System.Globalization;

namespace ComputeGrid.Agent.Running;

/// <summary>
/// What <c>/proc/&lt;pid&gt;/stat</c> says of a process: its group and its start time, which together with the pid tell
/// one process from a later one that reused its pid.
/// </summary>
/// <param name="ProcessGroup">The process group id (field 5).</param>
/// <param name="StartTime">When it started, in clock ticks after boot (field 22).</param>
internal readonly record struct ProcStat(int ProcessGroup, ulong StartTime)
{
    /// <summary>The process <paramref name="pid"/> now, or null when there is none.</summary>
    public static ProcStat? Read(int pid)
    {
        string text;
        try
        {
            text = File.ReadAllText($"/proc/{pid}/stat");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }

        return Parse(text);
    }

    /// <summary>Processes whose environment has <c>CG_JOB_ID=<paramref name="jobId"/></c>, as every job process of this agent does.</summary>
    public static List<ProcStat> WithJobId(string jobId)
    {
        var marker = $"\0CG_JOB_ID={jobId}\0";
        var found = new List<ProcStat>();
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(directory), NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
            {
                try
                {
                    if (("\0" + File.ReadAllText(Path.Combine(directory, "environ"))).Contains(marker, StringComparison.Ordinal) && Read(pid) is { } stat)
                    {
                        found.Add(stat);
                    }
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    // Gone, or not ours to read.
                }
            }
        }

        return found;
    }

    /// <summary>Parses one stat line; the command name (field 2) may hold spaces and parentheses, so fields are counted after its last ')'.</summary>
    public static ProcStat? Parse(string text)
    {
        var end = text.LastIndexOf(')');
        if (end < 0)
        {
            return null;
        }

        var fields = text[(end + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        // fields[0] is field 3 (state), so field n is fields[n - 3].
        return fields.Length > 19
            && int.TryParse(fields[2], NumberStyles.Integer, CultureInfo.InvariantCulture, out var group)
            && ulong.TryParse(fields[19], NumberStyles.Integer, CultureInfo.InvariantCulture, out var start)
            ? new ProcStat(group, start)
            : null;
    }
}
