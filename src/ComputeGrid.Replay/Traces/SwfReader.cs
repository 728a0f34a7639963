using System.Globalization;

namespace ComputeGrid.Replay.Traces;

/// <summary>
/// Reads the Standard Workload Format: <c>;</c> header comments, then one job per line of 18 whitespace-separated
/// numeric fields where -1 means unknown. A line with another field count or a non-number is counted as malformed.
/// The citation comes from the header's own <c>Acknowledge</c>, <c>Computer</c>, <c>Installation</c> and
/// <c>Information</c> lines (<see cref="SwfHeader"/>).
/// </summary>
public static class SwfReader
{
    private const int FieldCount = 18;

    /// <summary>Reads every job line; never throws on bad content.</summary>
    /// <param name="reader">The log's text.</param>
    /// <param name="fileName">The log's file name, which names it in the citation (the archive's files start with the log's name).</param>
    public static TraceReadResult Read(TextReader reader, string? fileName = null)
    {
        var header = new SwfHeader();
        var jobs = new List<TraceJob>();
        int malformed = 0, unusable = 0;
        var truncated = false;
        foreach (var raw in LineSource.Lines(reader, () => truncated = true))
        {
            var line = raw.Trim();
            if (line.Length == 0)
            {
                continue;
            }

            if (line[0] == ';')
            {
                header.Add(line);
                continue;
            }

            var fields = line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            var numbers = new double[FieldCount];
            if (fields.Length != FieldCount || !TryParseAll(fields, numbers))
            {
                malformed++;
                continue;
            }

            if (ToJob(numbers) is { } job)
            {
                jobs.Add(job);
            }
            else
            {
                unusable++;
            }
        }

        jobs.Sort((a, b) => a.Submit.CompareTo(b.Submit));
        return new TraceReadResult("SWF", jobs, malformed, unusable, truncated, header.Citation(fileName));
    }

    private static bool TryParseAll(string[] fields, double[] numbers)
    {
        for (var i = 0; i < fields.Length; i++)
        {
            if (!double.TryParse(fields[i], NumberStyles.Float, CultureInfo.InvariantCulture, out numbers[i]) || !double.IsFinite(numbers[i]))
            {
                return false;
            }
        }

        return true;
    }

    // Field numbers below are the SWF's 1-based ones minus one.
    private static TraceJob? ToJob(double[] f)
    {
        var submit = f[1];
        var runTime = f[3];
        var processors = f[7] > 0 ? f[7] : f[4];
        if (submit < 0 || runTime <= 0 || processors <= 0)
        {
            return null;
        }

        var kibPerProcessor = f[9] > 0 ? f[9] : f[6];
        long? memoryMiB = kibPerProcessor > 0 ? Math.Max(1, (long)Math.Ceiling(processors * kibPerProcessor / 1024)) : null;
        var user = f[11] >= 0 ? ((long)f[11]).ToString(CultureInfo.InvariantCulture) : "unknown";
        return new TraceJob(
            ((long)f[0]).ToString(CultureInfo.InvariantCulture),
            TimeSpan.FromSeconds(submit),
            TimeSpan.FromSeconds(runTime),
            (long)processors * 1000,
            memoryMiB,
            0,
            user,
            false);
    }
}
